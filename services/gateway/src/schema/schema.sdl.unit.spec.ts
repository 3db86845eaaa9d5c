import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { buildGatewaySchemaSdl, describeSchemaDrift, lineDiff, SCHEMA_FILE } from './schema.sdl';

describe('the committed SDL', () => {
  it('given the resolvers of the code, when the schema is built, then services/gateway/schema.graphql holds exactly it', async () => {
    const built = await buildGatewaySchemaSdl();
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => null);

    const drift = describeSchemaDrift(committed, built);

    if (drift !== null) throw new Error(drift);
  });
});

describe('the stale-schema message', () => {
  it('given a committed file that lacks a field, when compared, then it says to run npm run schema and shows the missing line', () => {
    const committed = 'type Bead {\n  id: ID!\n}\n';
    const built = 'type Bead {\n  id: ID!\n  title: String!\n}\n';

    const message = describeSchemaDrift(committed, built);

    expect(message).toContain('run `npm run schema`');
    expect(message?.split('\n').slice(1)).toEqual(['+   title: String!']);
  });

  it('given no committed file, when compared, then it says the file does not exist', () => {
    expect(describeSchemaDrift(null, 'type Query { a: Int }\n')).toMatch(/npm run schema[\s\S]*does not exist/);
  });

  it('given identical schemas, when compared, then there is nothing to report', () => {
    expect(describeSchemaDrift('scalar JSON\n', 'scalar JSON\n')).toBeNull();
  });

  it('given any two line lists, when diffed, then the kept and removed lines give the first and the kept and added lines the second', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'type X {', '}'), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (before, after) => {
        const diff = lineDiff(before, after);
        expect(diff.filter((l) => !l.startsWith('+ ')).map((l) => l.slice(2))).toEqual(before);
        expect(diff.filter((l) => !l.startsWith('- ')).map((l) => l.slice(2))).toEqual(after);
      }),
    );
  });
});
