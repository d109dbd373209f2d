// `npm run test:faults`, shard 1 (see sweep.ts).
import { sweep } from "./sweep";

sweep(1);
