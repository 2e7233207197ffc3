export { Metrics, type MetricSources, type RequestObserver } from './metrics.ts';
export { instrumentStore, type StoreCallObserver } from './store.ts';
