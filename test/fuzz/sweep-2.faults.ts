// `npm run test:faults`, shard 2 (see sweep.ts).
import { sweep } from "./sweep";

sweep(2);
