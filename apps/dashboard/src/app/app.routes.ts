import { Routes } from '@angular/router';
import { signedIn } from './session/session.guard';

export const routes: Routes = [
  { path: 'sign-in', title: 'Sign in · Gastown', loadComponent: () => import('./sign-in/sign-in.page').then((m) => m.SignInPage) },
  {
    path: '',
    canActivate: [signedIn],
    loadComponent: () => import('./shell/shell.component').then((m) => m.ShellComponent),
    children: [
      { path: '', title: 'Town · Gastown', loadComponent: () => import('./town/town.page').then((m) => m.TownPage) },
      { path: 'convoys/new', title: 'New convoy · Gastown', loadComponent: () => import('./new-convoy/new-convoy.page').then((m) => m.NewConvoyPage) },
      { path: 'convoys/:convoyId', title: 'Convoy · Gastown', loadComponent: () => import('./convoy/convoy.page').then((m) => m.ConvoyPage) },
      { path: 'rigs/:rigId', title: 'Rig · Gastown', loadComponent: () => import('./rig/rig.page').then((m) => m.RigPage) },
    ],
  },
  { path: '**', redirectTo: '' },
];
