import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import { Bead } from '../bead/bead.model';
import { Convoy } from '../convoy/convoy.model';
import { HistoryEvent } from '../history/history.model';

@ObjectType({ description: 'One decision about a convoy, as it was appended to the event stream.' })
export class ConvoyChange {
  @Field(() => Float, { description: 'Stream sequence of the decision; resume after it with afterSequence.' }) sequence!: number;
  @Field(() => ID) convoyId!: string;
  @Field(() => [HistoryEvent], { description: 'Every event of the decision, in order.' }) events!: HistoryEvent[];
  @Field(() => Convoy, { description: 'The convoy as of this decision or later.' }) convoy!: Convoy;
}

@ObjectType({ description: 'One decision that changed a bead, as it was appended to the event stream.' })
export class BeadChange {
  @Field(() => Float, { description: 'Stream sequence of the decision; resume after it with afterSequence.' }) sequence!: number;
  @Field(() => ID) beadId!: string;
  @Field(() => [HistoryEvent], { description: "The decision's events about this bead, in order." }) events!: HistoryEvent[];
  @Field(() => Bead, { description: 'The bead as of this decision or later.' }) bead!: Bead;
}
