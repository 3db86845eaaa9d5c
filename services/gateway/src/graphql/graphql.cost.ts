import type { TownLimits } from '@gastown/contracts';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * How many items a list field may hold, as the estimator multiplies by it:
 * - a number: the list's real bound (a convoy holds at most CONVOY_MAX_TASKS beads);
 * - 'first': the field's own `first` argument (or its default), at most `max`;
 * - 'page': the `first` of the connection field above it (ConvoyConnection.edges).
 */
export type ListBound = number | { readonly first: 'own'; readonly max: number } | { readonly first: 'page' };

export interface CostModel {
  /** Keyed "Type.field"; every list field of the schema has one (a unit spec checks it). */
  readonly listBounds: ReadonlyMap<string, ListBound>;
  /** What a mutation costs beyond the objects it returns: it writes an event and waits for the read models. */
  readonly mutationCost: number;
}

/**
 * The largest lists one town actually holds, read from its read models: a bound as real as
 * CONVOY_MAX_TASKS, and far tighter for the towns that never come near it, so ordinary clients'
 * queries cost what their data costs while a town with huge, dense convoys pays for them.
 */
export interface TownBounds {
  readonly beadsPerConvoy: number;
  readonly edgesPerConvoy: number;
  readonly blockersPerBead: number;
  readonly dependentsPerBead: number;
  readonly rigs: number;
}

/**
 * The bounds the gateway knows: the convoy service's own limits, read from the same settings
 * (CONVOY_MAX_TASKS, CONVOY_MAX_EDGES, GASTOWN_MAX_RIGS_PER_TOWN, GASTOWN_MAX_WEBHOOKS_PER_TOWN);
 * what the services do not bound is bounded here and said so.
 */
export interface CostLimits extends Pick<TownLimits, 'maxTasks' | 'maxEdges' | 'maxRigsPerTown' | 'maxWebhooksPerTown'> {
  /**
   * The town's own largest lists; for a mutation, grown by what it sends (mutationGrowth), as its
   * answer may hold a convoy no read model shows yet. Absent, every list is priced at its limit.
   */
  readonly town?: TownBounds;
}

/** A bead's blockers and dependents are paged: a bead may wait for every other bead of its convoy. */
export const DEFAULT_LINKS_PAGE = 50;
export const MAX_LINKS_PAGE = 1_000;
/**
 * Merges under way in a closed convoy: each is a push granted and not yet recorded, one per rig
 * under its lease unless a runner died mid-push, so a handful; the list is still paged.
 */
export const DEFAULT_UNDER_WAY_PAGE = 50;
/** A busy rig's merge queue holds every bead handed in while its checks are red: paged like any list that grows with the town. */
export const DEFAULT_MERGE_QUEUE_PAGE = 100;
export const MAX_MERGE_QUEUE_PAGE = 1_000;
/** Attempts of one bead: the convoy's attempt budget, renewed by each retryBead. */
export const ATTEMPTS_BOUND = 10;
/** Attempts of one webhook delivery. */
export const DELIVERY_ATTEMPTS_BOUND = 10;

export function costModel({ maxTasks, maxEdges, maxRigsPerTown, maxWebhooksPerTown, town }: CostLimits): CostModel {
  const real = (bound: number, actual: number | undefined) => (actual === undefined ? bound : Math.min(bound, actual));
  const beads = real(maxTasks, town?.beadsPerConvoy);
  const rigs = real(maxRigsPerTown, town?.rigs);
  const edges = real(maxEdges, town?.edgesPerConvoy);
  const bounds: [string, ListBound][] = [
    ['Query.agents', rigs * 64],
    ['Query.rigs', rigs],
    ['Query.webhooks', maxWebhooksPerTown],
    ['Query.webhookDeliveries', { first: 'own', max: 200 }],
    ['ConvoyConnection.edges', { first: 'page' }],
    ['Convoy.beads', { first: 'own', max: beads }],
    ['Convoy.dependencyEdges', { first: 'own', max: edges }],
    ['Convoy.waves', beads],
    ['Convoy.rigs', Math.min(beads, rigs)],
    ['Convoy.featureBranches', Math.min(beads, rigs)],
    ['Convoy.landings', Math.min(beads, rigs)],
    ['Convoy.mergesUnderWay', { first: 'own', max: beads }],
    ['Convoy.landingsUnderWay', Math.min(beads, rigs)],
    ['Convoy.events', { first: 'own', max: 1_000 }],
    ['ConvoyChange.events', maxTasks + 1],
    ['Bead.blockedBy', { first: 'own', max: real(MAX_LINKS_PAGE, town?.blockersPerBead) }],
    ['Bead.blocks', { first: 'own', max: real(MAX_LINKS_PAGE, town?.dependentsPerBead) }],
    ['Bead.attempts', ATTEMPTS_BOUND],
    ['Bead.events', { first: 'own', max: 1_000 }],
    ['BeadChange.events', maxTasks + 1],
    ['HistoryEvent.beadIds', maxTasks],
    ['Rig.agents', 64],
    ['Rig.mergeQueue', { first: 'own', max: MAX_MERGE_QUEUE_PAGE }],
    ['MergeQueueChange.entries', { first: 'own', max: MAX_MERGE_QUEUE_PAGE }],
    ['RigConfigModel.checks', 20],
    ['RigCheckModel.command', 256],
    ['AgentConfigModel.command', 256],
    ['AgentConfigModel.passEnv', 256],
    ['Webhook.deliveries', { first: 'own', max: 200 }],
    ['Webhook.events', 8],
    ['WebhookDelivery.attempts', DELIVERY_ATTEMPTS_BOUND],
  ];
  return { listBounds: new Map(bounds), mutationCost: 10 };
}

export class CostModelError extends Error {}

interface Walk {
  readonly schema: GraphQLSchema;
  readonly model: CostModel;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
}

function argumentValue(walk: Walk, node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown {
  const given = node.arguments?.find((a) => a.name.value === name);
  if (given) {
    if (given.value.kind === Kind.VARIABLE) {
      const value = walk.variables[given.value.name.value];
      if (value !== undefined) return value;
    } else {
      return valueFromASTUntyped(given.value, walk.variables);
    }
  }
  return field.args.find((a) => a.name === name)?.defaultValue;
}

/** A page size as the estimator reads it: invalid ones are refused by the resolver, so they cost nothing more than the max. */
function pageSize(value: unknown, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(0, Math.ceil(value)), max) : max;
}

function multiplier(walk: Walk, key: string, node: FieldNode, field: GraphQLField<unknown, unknown>, page: number | null): number {
  const bound = walk.model.listBounds.get(key);
  if (bound === undefined) throw new CostModelError(`the list field ${key} has no bound in the cost model`);
  if (typeof bound === 'number') return bound;
  if (bound.first === 'page') {
    if (page === null) throw new CostModelError(`the list field ${key} is paged by a connection field above it, and none was found`);
    return page;
  }
  return pageSize(argumentValue(walk, node, field, 'first'), bound.max);
}

/**
 * Each object a query can return costs 1 and scalars are free (as in Shopify's calculated cost);
 * a list multiplies what it holds by its bound, so nesting multiplies; every alias and every
 * fragment spread is counted where it is used. @skip and @include are ignored: the estimate is an upper bound.
 */
function selectionCost(walk: Walk, type: GraphQLCompositeType, selectionSet: SelectionSetNode, page: number | null, visiting: Set<string>): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(walk, type, selection, page, visiting);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : type;
      if (on && isCompositeType(on)) total += selectionCost(walk, on, selection.selectionSet, page, visiting);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      // Unknown and cyclic fragments were refused by validation already.
      if (!fragment || visiting.has(name)) continue;
      const on = walk.schema.getType(fragment.typeCondition.name.value);
      if (!on || !isCompositeType(on)) continue;
      visiting.add(name);
      total += selectionCost(walk, on, fragment.selectionSet, page, visiting);
      visiting.delete(name);
    }
  }
  return total;
}

function fieldCost(walk: Walk, parent: GraphQLCompositeType, node: FieldNode, page: number | null, visiting: Set<string>): number {
  const name = node.name.value;
  if (name.startsWith('__') || !isObjectType(parent)) return 0;
  const field = parent.getFields()[name];
  // Unknown fields were refused by validation.
  if (!field) return 0;
  const key = `${parent.name}.${name}`;
  const nullable = getNullableType(field.type);
  const count = isListType(nullable) ? multiplier(walk, key, node, field, page) : 1;
  const itemType = getNamedType(field.type);
  if (!isCompositeType(itemType) || !node.selectionSet) return 0;
  const firstArg = field.args.some((a) => a.name === 'first') && !isListType(nullable);
  const childPage = firstArg ? pageSize(argumentValue(walk, node, field, 'first'), Number.MAX_SAFE_INTEGER) : null;
  return count * (1 + selectionCost(walk, itemType, node.selectionSet, childPage, visiting));
}

export interface OperationCostInput {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** The static cost of one operation, computed before anything runs. */
export function operationCost(model: CostModel, { schema, document, operation, variables = {} }: OperationCostInput): number {
  const fragments = fragmentsOf(document);
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const walk: Walk = { schema, model, variables, fragments };
  const objects = selectionCost(walk, root, operation.selectionSet, null, new Set());
  return operation.operation === 'mutation' ? objects + rootFieldCount(document, operation) * model.mutationCost : objects;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** The root fields an operation selects, aliases and fragments included. */
function rootFields(document: DocumentNode, operation: OperationDefinitionNode): FieldNode[] {
  const fragments = fragmentsOf(document);
  const collect = (selectionSet: SelectionSetNode, visiting: Set<string>): FieldNode[] =>
    selectionSet.selections.flatMap((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__') ? [] : [selection];
      if (selection.kind === Kind.INLINE_FRAGMENT) return collect(selection.selectionSet, visiting);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) return [];
      return collect(fragment.selectionSet, new Set([...visiting, fragment.name.value]));
    });
  return collect(operation.selectionSet, new Set());
}

/** How many root fields an operation selects, aliases and fragments included: each mutation field is one write. */
export function rootFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  return rootFields(document, operation).length;
}

/** The schema name (never the alias) of the operation's first root field, fragments followed; null when it selects none. */
export function firstRootField(document: DocumentNode, operation: OperationDefinitionNode): string | null {
  return rootFields(document, operation)[0]?.name.value ?? null;
}

export interface Growth {
  readonly beads: number;
  readonly edges: number;
}

/**
 * What a mutation may add to a convoy beyond what the town's read models hold, so the convoy it
 * answers with is priced at its size: a bead per TaskInput it sends (and sling's one task), an
 * edge per dependsOn entry and per addDependency. Arguments that do not coerce are refused before
 * anything runs; they add nothing here.
 */
export function mutationGrowth({ schema, document, operation, variables = {} }: OperationCostInput): Growth {
  const mutation = schema.getMutationType();
  let beads = 0;
  let edges = 0;
  const visit = (type: GraphQLInputType, value: unknown): void => {
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (Array.isArray(value)) for (const item of value) visit(nullable.ofType, item);
    } else if (isInputObjectType(nullable) && value !== null && typeof value === 'object') {
      const fields = value as Record<string, unknown>;
      if (nullable.name === 'TaskInput') {
        beads += 1;
        edges += Array.isArray(fields['dependsOn']) ? fields['dependsOn'].length : 0;
      }
      for (const [name, field] of Object.entries(nullable.getFields())) visit(field.type, fields[name]);
    }
  };
  for (const node of rootFields(document, operation)) {
    const field = mutation?.getFields()[node.name.value];
    if (!field) continue;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      continue;
    }
    for (const arg of field.args) visit(arg.type, args[arg.name]);
    if (field.name === 'sling') beads += 1;
    if (field.name === 'addDependency') edges += 1;
  }
  return { beads, edges };
}

/** Every list field of a schema, as "Type.field", for checking that the cost model bounds each one. */
export function listFieldsOf(schema: GraphQLSchema): string[] {
  const keys: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (isListType(getNullableType(field.type))) keys.push(`${type.name}.${field.name}`);
    }
  }
  return keys.sort();
}
