// The store as the rest of the daemon sees it, with every repository call timed and its failures
// counted (tenantdir_store_*). A wrapper rather than code in each adapter, so that memory and
// Mongo are measured alike and neither knows about metrics. Labels: repository and call names,
// which are the port's (a fixed set), never arguments.
import type { Store, TenantStore } from '../store/index.ts';

export type StoreCallObserver = (repo: string, call: string, seconds: number, failed: boolean) => void;

export function instrumentStore(store: Store, observe: StoreCallObserver): Store {
  const wrapped = new WeakMap<object, object>();
  const repo = <T extends object>(name: string, target: T): T => {
    const known = wrapped.get(target);
    if (known) return known as T;
    // One timed wrapper per method, made on first use: store calls are on every request's path.
    const timed = new Map<string, (...args: unknown[]) => unknown>();
    const proxy = new Proxy(target, {
      get(t, call, receiver) {
        const value: unknown = Reflect.get(t, call, receiver);
        if (typeof value !== 'function' || typeof call !== 'string') return value;
        const known = timed.get(call);
        if (known) return known;
        const wrapper = (...args: unknown[]) => {
          const started = performance.now();
          const done = (failed: boolean) => observe(name, call, (performance.now() - started) / 1000, failed);
          let result: unknown;
          try {
            // Read at call time, so a method replaced on the repository later is the one called.
            result = (Reflect.get(t, call) as (...a: unknown[]) => unknown).apply(t, args);
          } catch (err) {
            done(true);
            throw err;
          }
          if (result instanceof Promise) {
            return result.then((v: unknown) => { done(false); return v; }, (err: unknown) => { done(true); throw err; });
          }
          done(false);
          return result;
        };
        timed.set(call, wrapper);
        return wrapper;
      },
    });
    wrapped.set(target, proxy);
    return proxy;
  };
  const tenant = (id: string): TenantStore => {
    const t = store.tenant(id);
    const known = wrapped.get(t);
    if (known) return known as TenantStore;
    const proxy = new Proxy(t, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof key === 'string' && typeof value === 'object' && value !== null ? repo(key, value) : value;
      },
    });
    wrapped.set(t, proxy);
    return proxy;
  };
  // Calls on the store itself (health, close, MSP-wide reads) are timed as repository "store".
  const outer = repo('store', store);
  return new Proxy(outer, {
    get(target, key, receiver) {
      return key === 'tenant' ? tenant : Reflect.get(target, key, receiver);
    },
  });
}
