import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TownRow } from '../read-models/read-models.entities';
import { notFound } from '../graphql/graphql.errors';

@Injectable()
export class TownService {
  constructor(private readonly db: DataSource) {}

  async get(townId: string): Promise<Pick<TownRow, 'id' | 'name' | 'createdAt'>> {
    const town = await this.db.getRepository(TownRow).findOne({
      where: { id: townId },
      select: { id: true, name: true, createdAt: true },
    });
    if (!town) throw notFound('town', townId);
    return town;
  }
}
