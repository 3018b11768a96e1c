/**
 * A Durable Object namespace whose objects' `method` throws `error`: "after" the real call went
 * through (its answer lost on the way back), or "before" it (nothing done); the first `times`
 * calls only, then it answers as the real one.
 */
export function failingNamespace<T extends Rpc.DurableObjectBranded | undefined>(ns: DurableObjectNamespace<T>, method: string, error: string, when: "before" | "after", times = Infinity) {
  let failures = 0;
  return new Proxy(ns, {
    get(target, prop) {
      if (prop !== "get") return (Reflect.get(target, prop) as Function).bind(target);
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get(s, p) {
            // RPC stubs answer every property with a remote method: call it, never `.apply` it.
            const real = Reflect.get(s, p) as (...args: unknown[]) => unknown;
            if (p !== method) return typeof real === "function" ? (...args: unknown[]) => real(...args) : real;
            return async (...args: unknown[]) => {
              if (failures >= times) return real(...args);
              failures++;
              if (when === "after") await real(...args);
              throw new Error(error);
            };
          },
        });
      };
    },
  });
}
