/** Piscina worker: runs {@link drawDescriptors} for one task. */
import { drawDescriptors, type DrawTask } from './draws.js';

export default function run(task: DrawTask): Float64Array {
  return drawDescriptors(task);
}
