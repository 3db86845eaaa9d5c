import { PoisonMessageError } from '@gastown/bus';
import { InvalidEventError } from '@gastown/contracts';
import { QueryFailedError } from 'typeorm';
import { poisonReason } from './projection.applier';

function queryError(code: string, message: string): QueryFailedError {
  return new QueryFailedError('UPDATE beads SET …', [], Object.assign(new Error(message), { code }));
}

describe('poisonReason', () => {
  it.each([
    ['an undecodable commit', new PoisonMessageError('gt.evt.t.convoy.c', 7, 'commit is not valid JSON'), 'commit is not valid JSON'],
    ['an invalid event', new InvalidEventError('unknown event type "X"', 'X', []), 'unknown event type "X"'],
    ['a unique violation', queryError('23505', 'duplicate key'), 'rejected by the read-model schema (SQLSTATE 23505): duplicate key'],
    ['a value out of range', queryError('22003', 'integer out of range'), 'rejected by the read-model schema (SQLSTATE 22003): integer out of range'],
  ])('given %s, then it is a data problem that holds the subject', (_, error, reason) => {
    expect(poisonReason(error)).toBe(reason);
  });

  it.each([
    ['a terminated connection', queryError('57P01', 'terminating connection due to administrator command')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a lost connection without a code', new QueryFailedError('COMMIT', [], new Error('Connection terminated unexpectedly'))],
    ['a serialization failure', queryError('40001', 'could not serialize access')],
  ])('given %s, then it is transient and goes back to the back-off', (_, error) => {
    expect(poisonReason(error)).toBeNull();
  });
});
