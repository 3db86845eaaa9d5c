import { Injectable } from '@nestjs/common';
import { hashTownToken } from '@gastown/contracts';
import { DataSource } from 'typeorm';
import { TownRow } from '../read-models/read-models.entities';
import { apiError } from '../graphql/graphql.errors';

export interface AuthenticatedTown {
  readonly id: string;
  readonly name: string;
}

/** Tokens are random 256-bit strings; anything far longer is not one and is not worth hashing. */
const MAX_TOKEN_LENGTH = 512;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const unauthenticated = (message: string) => apiError('UNAUTHENTICATED', message, { http: { status: 401 } });

@Injectable()
export class AuthService {
  constructor(private readonly db: DataSource) {}

  /** Resolves the town a request acts for from its Authorization header. */
  async authenticate(authorization: string | undefined): Promise<AuthenticatedTown> {
    if (!authorization) throw unauthenticated('missing credentials: send "Authorization: Bearer <town token>"');
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw unauthenticated('malformed Authorization header: expected "Bearer <town token>"');
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('unknown town token');
    const town = await this.db.getRepository(TownRow).findOne({
      where: { tokenHash: hashTownToken(token) },
      select: { id: true, name: true },
    });
    if (!town) throw unauthenticated('unknown town token');
    return { id: town.id, name: town.name };
  }
}
