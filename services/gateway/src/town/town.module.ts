import { Module } from '@nestjs/common';
import { TownResolver } from './town.resolver';
import { TownService } from './town.service';

@Module({ providers: [TownService, TownResolver] })
export class TownModule {}
