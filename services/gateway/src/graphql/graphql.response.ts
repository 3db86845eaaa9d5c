import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import { SerialisedData } from '../heavy-reads/heavy-reads.protocol';
import { TimeSlicer } from './graphql.time-slice';

/** Above this many characters an answer is written in pieces, one per turn of the event loop. */
export const LARGE_RESPONSE_CHARS = 256 * 1024;

const isContainer = (value: unknown): value is object => value !== null && typeof value === 'object';

/** Whether JSON.stringify may take it whole: it holds scalars only (a bead's id and title, not its lists). */
function flat(value: object): boolean {
  for (const child of Object.values(value)) if (isContainer(child)) return false;
  return true;
}

async function write(value: unknown, out: Pieces, slicer: TimeSlicer): Promise<void> {
  if (value instanceof SerialisedData) {
    out.push(value.json);
  } else if (!isContainer(value) || flat(value)) {
    out.push(JSON.stringify(value) ?? 'null');
  } else if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      await write(value[i] === undefined ? null : value[i], out, slicer);
      await slicer.run(() => undefined);
    }
    out.push(']');
  } else {
    let first = true;
    out.push('{');
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined || typeof child === 'function') continue;
      out.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      await write(child, out, slicer);
    }
    out.push('}');
  }
}

/**
 * Apollo's stringifyResult: the same JSON as JSON.stringify, built in time slices. JSON.stringify
 * of a 10 MB answer holds the event loop for 100 ms and more; this lets other towns in meanwhile.
 * GraphQL results hold plain objects, arrays and serialized scalars only (no toJSON to call).
 */
export async function stringifyInSlices(value: unknown): Promise<string> {
  return `${await serialiseInSlices(value, new TimeSlicer())}\n`;
}

/** The JSON of `value`, built in the slices of `slicer`. */
export async function serialiseInSlices(value: unknown, slicer: TimeSlicer): Promise<string> {
  const out = new Pieces();
  await write(value, out, slicer);
  return out.join();
}

/**
 * The answer's pieces, joined every PIECES_PER_CHUNK: one join of hundreds of thousands of tiny
 * strings would hold the event loop again; hundreds of 64 kB chunks join at memory speed.
 */
const PIECES_PER_CHUNK = 4_096;

class Pieces {
  private readonly chunks: string[] = [];
  private pieces: string[] = [];

  push(piece: string): void {
    this.pieces.push(piece);
    if (this.pieces.length >= PIECES_PER_CHUNK) {
      this.chunks.push(this.pieces.join(''));
      this.pieces = [];
    }
  }

  join(): string {
    return this.chunks.join('') + this.pieces.join('');
  }
}

type Send = (body?: unknown) => unknown;

/** Until the socket takes more, or is gone; the listener of the one that did not happen is removed. */
async function socketReady(res: ServerResponse): Promise<void> {
  const stop = new AbortController();
  await Promise.race([once(res, 'drain', { signal: stop.signal }), once(res, 'close', { signal: stop.signal })]).finally(() => stop.abort());
}

/** Writes `body` in pieces, one per turn of the event loop, waiting for the socket when it is full. */
async function writeInPieces(res: ServerResponse, body: string): Promise<void> {
  res.removeHeader('content-length');
  for (let at = 0; at < body.length && !res.destroyed; at += LARGE_RESPONSE_CHARS) {
    const fits = res.write(body.slice(at, at + LARGE_RESPONSE_CHARS));
    if (fits) await new Promise((next) => setImmediate(next));
    else await socketReady(res);
  }
  res.end();
}

/**
 * Express's res.send encodes a whole answer to a Buffer and hashes it for an ETag in one go (over
 * 50 ms for 10 MB); large GraphQL answers are written in pieces instead, without an ETag (Apollo
 * marks them uncacheable anyway).
 */
@Injectable()
export class LargeResponseMiddleware implements NestMiddleware<unknown, ServerResponse & { send: Send }> {
  use(_req: unknown, res: ServerResponse & { send: Send }, next: () => void): void {
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      if (typeof body !== 'string' || body.length <= LARGE_RESPONSE_CHARS || res.headersSent) return send(body);
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
      void writeInPieces(res, body).catch(() => res.destroy());
      return res;
    };
    next();
  }
}
