import { access } from 'node:fs/promises';
import type { Config } from '../config/schema.js';

/** Whether the operator's `maintenanceFile` exists (load balancers then drain this node). */
export async function inMaintenance(config: Config): Promise<boolean> {
  if (!config.maintenanceFile) return false;
  try {
    await access(config.maintenanceFile);
    return true;
  } catch {
    return false;
  }
}
