import { AgentRow } from './agent.entity';
import { BeadAttemptRow } from './bead-attempt.entity';
import { BeadDependencyRow } from './bead-dependency.entity';
import { BeadRow } from './bead.entity';
import { CheckpointRow, ProjectionHoldRow } from './checkpoint.entity';
import { ConvoyRow } from './convoy.entity';
import { MergeQueueRow } from './merge-queue.entity';
import { RigRow } from './rig.entity';
import { TownRow } from './town.entity';
import { WebhookDeliveryAttemptRow, WebhookDeliveryRow, WebhookRow } from './webhook.entity';

export const READ_MODEL_ENTITIES = [
  TownRow,
  RigRow,
  ConvoyRow,
  BeadRow,
  BeadDependencyRow,
  BeadAttemptRow,
  AgentRow,
  MergeQueueRow,
  CheckpointRow,
  ProjectionHoldRow,
  WebhookRow,
  WebhookDeliveryRow,
  WebhookDeliveryAttemptRow,
];
export { AgentRow, BeadAttemptRow, BeadDependencyRow, BeadRow, CheckpointRow, ConvoyRow, MergeQueueRow, ProjectionHoldRow, RigRow, TownRow };
export { WebhookDeliveryAttemptRow, WebhookDeliveryRow, WebhookRow };
