/**
 * A D1 binding whose every query fails with `message`, as in an outage: prepared statements
 * (bound or not), batches and exec, on the binding and in its sessions (replicas are down too).
 * Anything else is the real binding's.
 */
export function unavailableD1(db: D1Database, message = "D1_ERROR: Network connection lost."): D1Database {
  const lost = async () => {
    throw new Error(message);
  };
  const statement = { all: lost, first: lost, run: lost, raw: lost };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "batch" || prop === "exec") return lost;
      if (prop === "prepare") return () => ({ ...statement, bind: () => statement });
      if (prop === "withSession") return () => ({ prepare: () => ({ ...statement, bind: () => statement }), batch: lost, getBookmark: () => null });
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
