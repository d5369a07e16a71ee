import { CreateServices1764057600000 } from './1764057600000-create-services';

/** Every migration, oldest first. The schema comes only from these (never `synchronize`). */
export const MIGRATIONS = [CreateServices1764057600000];
