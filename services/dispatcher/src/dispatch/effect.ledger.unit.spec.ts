import { EffectLedger } from './effect.ledger';

describe('effect ledger', () => {
  it('given a refused command, when its convoy changes, then it may be planned again; other keys stay done', () => {
    const ledger = new EffectLedger();
    ledger.mark('c1', 'dispatch:b1:1');
    ledger.mark('c1', 'job:agent:b2:1');
    ledger.refuse('c1', 'dispatch:b1:1');

    expect(ledger.isRefused('dispatch:b1:1')).toBe(true);
    expect(ledger.convoyChanged('c2')).toBe(false);
    expect(ledger.convoyChanged('c1')).toBe(true);
    expect(ledger.has('dispatch:b1:1')).toBe(false);
    expect(ledger.has('job:agent:b2:1')).toBe(true);
    expect(ledger.convoyChanged('c1')).toBe(false);
  });

  it('given a finished convoy, when it is let go, then all its keys go and are returned', () => {
    const ledger = new EffectLedger();
    ledger.mark('c1', 'a');
    ledger.mark('c1', 'b');
    ledger.mark('c2', 'c');

    expect(ledger.forgetConvoy('c1').sort()).toEqual(['a', 'b']);
    expect(ledger.has('a')).toBe(false);
    expect(ledger.has('c')).toBe(true);
    expect(ledger.convoys()).toEqual(['c2']);
  });
});
