import { BeadDependencyRow } from './bead-dependency.entity';
import { BeadRow } from './bead.entity';
import { CheckpointRow, ProjectionHoldRow } from './checkpoint.entity';
import { ConvoyRow } from './convoy.entity';
import { RigRow } from './rig.entity';
import { TownRow } from './town.entity';

export const READ_MODEL_ENTITIES = [TownRow, RigRow, ConvoyRow, BeadRow, BeadDependencyRow, CheckpointRow, ProjectionHoldRow];
export { BeadDependencyRow, BeadRow, CheckpointRow, ConvoyRow, ProjectionHoldRow, RigRow, TownRow };
