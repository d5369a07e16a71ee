import { CreateServices1764057600000 } from './1764057600000-create-services';
import { CreateHosts1764072000000 } from './1764072000000-create-hosts';
import { CreateVees1764158400000 } from './1764158400000-create-vees';
import { AddHostFeatures1764849600000 } from './1764849600000-add-host-features';
import { CreateSeenMessages1764936000000 } from './1764936000000-create-seen-messages';
import { CreateContracts1765022400000 } from './1765022400000-create-contracts';
import { AddServiceReplicaOf1765108800000 } from './1765108800000-add-service-replica-of';
import { AddServiceRevision1765195200000 } from './1765195200000-add-service-revision';
import { CreateCheckpoints1765281600000 } from './1765281600000-create-checkpoints';
import { AddCheckpointTrigger1765368000000 } from './1765368000000-add-checkpoint-trigger';

/** Every migration, oldest first. The schema comes only from these (never `synchronize`). */
export const MIGRATIONS = [CreateServices1764057600000, CreateHosts1764072000000, CreateVees1764158400000, AddHostFeatures1764849600000, CreateSeenMessages1764936000000, CreateContracts1765022400000, AddServiceReplicaOf1765108800000, AddServiceRevision1765195200000, CreateCheckpoints1765281600000, AddCheckpointTrigger1765368000000];
