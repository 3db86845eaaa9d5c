import { z } from 'zod';
import { RigConfig } from '../domain/rig.config';

export const TownCreatedV1 = z.object({
  name: z.string().min(1).max(100),
  /** sha256 of the bearer token, hex; the token itself is never stored. */
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
});

export const RigRegisteredV1 = z.object({
  rigId: z.uuid(),
  name: z.string().min(1).max(100),
  gitUrl: z.string().min(1).max(2000),
  defaultBranch: z.string().min(1).max(200),
  config: RigConfig,
});

export const townEventSchemas = {
  TownCreated: { 1: TownCreatedV1 },
  RigRegistered: { 1: RigRegisteredV1 },
} as const;
