import { ServiceLogger } from './service.logger';

describe('service logger', () => {
  let written: string[];
  let spy: jest.SpyInstance;

  beforeEach(() => {
    written = [];
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  it('given Nest start-up narration, when logged, then it is dropped', () => {
    new ServiceLogger().log('AppModule dependencies initialized', 'InstanceLoader');
    expect(written).toEqual([]);
  });

  it('given a service line, when logged, then it reads as time, level, context and message without a pid', () => {
    new ServiceLogger().log('convoy service ready', 'convoy');
    expect(written.join('')).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+LOG \[convoy\] convoy service ready\n$/);
  });
});
