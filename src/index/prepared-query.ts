import type { Compilable, CompiledQuery, Kysely, QueryResult, Transaction } from 'kysely';
import type { DatabaseSchema } from './schema.js';

type Executor = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;

/** Stands for one named value while a query is built once; never reaches the database. */
class Slot {
  constructor(readonly name: string) {}
}

interface Shape {
  readonly compiled: CompiledQuery;
  /** For each parameter of the compiled query, the name of the value it takes. */
  readonly names: readonly string[];
}

/**
 * A query built and compiled once per shape and dialect, then only bound to new values. Kysely
 * builds and compiles a query's SQL on every call; for the few statements run for every received
 * object that was a tenth of the event loop's work per object on the reference machine (issue 2's
 * benchmark, bench/RESULTS.md).
 *
 * `build` must use every value as a value — a parameter, as in `where(column, '=', v.x)` or
 * `values(v)` — and nothing else: while it runs the values are placeholders. The shape is the
 * list of names whose value is not `undefined` (Kysely leaves such columns out of an insert).
 */
export function preparedQuery<V extends Record<string, unknown>, R>(build: (db: Executor, values: V) => Compilable<R>): (db: Executor, values: V) => Promise<QueryResult<R>> {
  // One cache per Kysely instance (its adapter): the SQL text differs between dialects.
  const shapes = new WeakMap<object, Map<string, Shape>>();
  return (db, values) => {
    const executor = db.getExecutor();
    let byShape = shapes.get(executor.adapter);
    if (byShape === undefined) {
      byShape = new Map();
      shapes.set(executor.adapter, byShape);
    }
    const defined = Object.keys(values).filter((name) => values[name] !== undefined);
    const key = defined.join(',');
    let shape = byShape.get(key);
    if (shape === undefined) {
      const placeholders = Object.fromEntries(defined.map((name) => [name, new Slot(name)])) as unknown as V;
      const compiled = build(db, placeholders).compile();
      const names = compiled.parameters.map((parameter) => {
        if (!(parameter instanceof Slot)) throw new TypeError(`a prepared query has a parameter that is not one of its values: ${compiled.sql}`);
        return parameter.name;
      });
      shape = { compiled, names };
      byShape.set(key, shape);
    }
    return db.executeQuery<R>({ ...shape.compiled, parameters: shape.names.map((name) => values[name]) });
  };
}
