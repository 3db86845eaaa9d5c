import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ConnectionState } from '../gateway/gateway.service';
import { ConnectionBannerComponent } from './connection-banner.component';

@Component({ imports: [ConnectionBannerComponent], template: '<gt-connection-banner [state]="state()" />' })
class Host {
  readonly state = signal<ConnectionState>('connected');
}

describe('ConnectionBannerComponent', () => {
  it('given a live connection, then it says nothing; when the socket drops, then it says so; when it is back, then the notice goes', async () => {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    const status = () => (fixture.nativeElement as HTMLElement).querySelector('[role=status]')?.textContent?.trim();
    expect(status()).toBe('');

    fixture.componentInstance.state.set('reconnecting');
    await fixture.whenStable();
    expect(status()).toContain('Connection to the gateway lost');

    fixture.componentInstance.state.set('connected');
    await fixture.whenStable();
    expect(status()).toBe('');
  });
});
