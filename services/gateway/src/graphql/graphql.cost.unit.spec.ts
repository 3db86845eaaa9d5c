import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_TOWN_LIMITS } from '@gastown/contracts';
import { costModel, DEFAULT_LINKS_PAGE, listFieldsOf, mutationGrowth, operationCost, rootFieldCount } from './graphql.cost';

const schema = buildSchema(readFileSync(resolve(__dirname, '../../schema.graphql'), 'utf8'));
const MAX_TASKS = 10_000;
const model = costModel({ ...DEFAULT_TOWN_LIMITS, maxTasks: MAX_TASKS });

function costOf(query: string, variables: Record<string, unknown> = {}): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation');
  return operationCost(model, { schema, document, operation, variables });
}

const ID = '"00000000-0000-4000-8000-000000000000"';

describe('static query cost', () => {
  it('given the committed schema, when its list fields are listed, then the cost model bounds every one', () => {
    const unbounded = listFieldsOf(schema).filter((key) => !model.listBounds.has(key));
    expect(unbounded).toEqual([]);
  });

  it("given the operator's town limits, when the model is built, then rigs, webhooks and dependency edges are bounded by exactly those limits", () => {
    const limited = costModel({ maxTasks: 50, maxEdges: 120, maxRigsPerTown: 7, maxWebhooksPerTown: 3 });
    expect(limited.listBounds.get('Query.rigs')).toBe(7);
    expect(limited.listBounds.get('Query.webhooks')).toBe(3);
    expect(limited.listBounds.get('Convoy.dependencyEdges')).toEqual({ first: 'own', max: 120 });
    expect(limited.listBounds.get('Query.agents')).toBe(7 * 64);
  });

  it('given a query of one object with scalars, when costed, then it costs 1', () => {
    expect(costOf(`{ town { id name createdAt } }`)).toBe(1);
  });

  it('given the depth-5 query of the report, when costed, then the bounds multiply: beads by CONVOY_MAX_TASKS, each link list by its page', () => {
    const links = DEFAULT_LINKS_PAGE;
    const expected = 1 + MAX_TASKS * (1 + links * (1 + links * (1 + links)));
    expect(costOf(`{ convoy(id: ${ID}) { beads { blockedBy { blocks { blockedBy { id } } } } } }`)).toBe(expected);
    expect(expected).toBe(1_275_510_001);
  });

  it('given a town whose largest convoy holds 40 beads of at most 3 blockers and 2 dependents, when the depth-5 query is costed for it, then its own bounds multiply', () => {
    const town = { beadsPerConvoy: 40, edgesPerConvoy: 60, blockersPerBead: 3, dependentsPerBead: 2, rigs: 1 };
    const document = parse(`{ convoy(id: ${ID}) { beads { blockedBy { blocks { blockedBy { id } } } } dependencyEdges { beadId } rigs { id } } }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const cost = operationCost(costModel({ ...DEFAULT_TOWN_LIMITS, maxTasks: MAX_TASKS, town }), { schema, document, operation });
    expect(cost).toBe(1 + 40 * (1 + 3 * (1 + 2 * (1 + 3))) + 60 + 1);
  });

  it('given a page size in a variable or an argument, when costed, then the list multiplies by it instead of its bound', () => {
    expect(costOf(`query ($n: Int!) { convoys(first: $n) { totalCount edges { node { id } } } }`, { n: 5 })).toBe(1 + 5 * 2);
    expect(costOf(`{ convoy(id: ${ID}) { beads(first: 3) { blockedBy(first: 2) { id } } } }`)).toBe(1 + 3 * (1 + 2));
    expect(costOf(`{ convoys { edges { node { id } } } }`)).toBe(1 + 20 * 2);
  });

  it('given a page size above the list’s own maximum, when costed, then the maximum counts (the resolver refuses the rest)', () => {
    expect(costOf(`{ convoy(id: ${ID}) { beads(first: 1000000) { id } } }`)).toBe(1 + MAX_TASKS);
  });

  it('given 500 aliases of one field, when costed, then each alias counts', () => {
    const one = `convoy(id: ${ID}) { beads { id } }`;
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: ${one}`).join(' ');
    expect(costOf(`{ ${aliases} }`)).toBe(500 * (1 + MAX_TASKS));
  });

  it('given the same selection through a named fragment, an inline fragment and inline, when costed, then all three cost the same', () => {
    const inline = costOf(`{ convoy(id: ${ID}) { beads { blockedBy { id } } } }`);
    expect(costOf(`{ convoy(id: ${ID}) { ...F } } fragment F on Convoy { beads { blockedBy { id } } }`)).toBe(inline);
    expect(costOf(`{ convoy(id: ${ID}) { ... on Convoy { beads { blockedBy { id } } } } }`)).toBe(inline);
  });

  it('given introspection, when costed, then it is free', () => {
    expect(costOf(`{ __schema { types { name fields { name } } } }`)).toBe(0);
  });

  it('given a mutation, when costed, then each mutation field adds the cost of a write', () => {
    expect(costOf(`mutation { a: retryBead(id: ${ID}) { id } b: retryBead(id: ${ID}) { id } }`)).toBe(2 * (1 + model.mutationCost));
    const document = parse(`mutation { a: retryBead(id: ${ID}) { id } ...M } fragment M on Mutation { b: retryBead(id: ${ID}) { id } }`);
    expect(rootFieldCount(document, document.definitions[0] as OperationDefinitionNode)).toBe(2);
  });

  it('given mutations, when their growth is read, then each task sent is a bead its answer may hold and each dependsOn and addDependency an edge', () => {
    const growth = (query: string, variables: Record<string, unknown> = {}) => {
      const document = parse(query);
      return mutationGrowth({ schema, document, operation: document.definitions[0] as OperationDefinitionNode, variables });
    };
    const tasks = [{ title: 'a' }, { title: 'b', dependsOn: [0] }, { title: 'c', dependsOn: [0, 1] }];

    expect(growth(`mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id } }`, { input: { title: 't', defaultRigId: ID.slice(1, -1), tasks } })).toEqual({
      beads: 3,
      edges: 3,
    });
    expect(growth(`mutation { addTasks(convoyId: ${ID}, tasks: [{ title: "x", dependsOn: [4] }]) { id } sling(input: { title: "y", rigId: ${ID} }) { id } }`)).toEqual({
      beads: 2,
      edges: 1,
    });
    expect(growth(`mutation { addDependency(beadId: ${ID}, dependsOnBeadId: ${ID}) { id } startConvoy(id: ${ID}) { id } }`)).toEqual({ beads: 0, edges: 1 });
  });

  it('given any number of aliases of any page size, when costed, then the cost is that many times the cost of one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 100 }), (aliases, first) => {
        const one = `convoys(first: ${first}) { edges { node { beads(first: 7) { id } } } }`;
        const many = Array.from({ length: aliases }, (_, i) => `a${i}: ${one}`).join(' ');
        return costOf(`{ ${many} }`) === aliases * costOf(`{ ${one} }`);
      }),
    );
  });

  it('given a larger page anywhere, when costed, then the cost never drops (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), (a, b) => {
        const query = (n: number) => `{ convoy(id: ${ID}) { beads(first: ${n}) { blocks(first: 3) { id } } } }`;
        return a <= b ? costOf(query(a)) <= costOf(query(b)) : costOf(query(a)) >= costOf(query(b));
      }),
    );
  });
});
