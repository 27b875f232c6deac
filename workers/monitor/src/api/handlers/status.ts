/**
 * `GET /admin/monitor/status` (`Admin_alerts_read`): which detectors run (and why one does not), their effective
 * thresholds, and the consumer group's lag.
 */
import { detectorStatuses } from '../../detectors/domain/pipeline.js';
import type { MonitorContext } from '../../services.js';
import { authorizeMonitor } from './access.js';

export async function monitorStatus(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_alerts_read', 'alerts');
  const services = c.get('services');
  let lag: { lag: number | null; pending: number } | null = null;
  try {
    lag = await services.consumer.stream.lag();
  } catch {
    lag = null;
  }
  return c.json({
    consumer: {
      group: services.config.MONITOR_GROUP,
      lag: lag?.lag ?? null,
      pending: lag?.pending ?? null,
      stream_maxlen: services.config.MONITOR_STREAM_MAXLEN,
    },
    detectors: detectorStatuses(services.detectorConfigs),
    thresholds: services.detectorConfigs,
  });
}
