/**
 * `together` (engine/operation.ts), pure: two operations side by side. When both wait on a
 * statement, the two go out as one StatementsEffect and each gets its own answer back; any other
 * effect goes alone, in order; both run to their end.
 */
import { describe, expect, it } from "vitest";
import { precompiledQuery } from "../../src/db/precompiled-query.js";
import { append, statement, together, verifyPin, type Effect, type Operation, type StatementResult } from "../../src/engine/operation.js";

const selectStore = precompiledQuery<{ id: string }, { id: string }>((db, param) => db.selectFrom("stores").select("id").where("id", "=", param("id")));
const insertStore = precompiledQuery<{ id: string }, never>((db, param) => db.insertInto("stores").values({ id: param("id"), name: "n", currency: "JPY", created_at: 1 }));

function* read(id: string, log: string[]): Operation<string> {
  const { rows } = yield* statement(selectStore, { id });
  log.push(`read ${id}`);
  return (rows[0] as { id: string } | undefined)?.id ?? "none";
}

/** Drives an operation, answering each effect with `answer`; returns the effects seen and the result. */
function drive<T>(operation: Operation<T>, answer: (effect: Effect) => unknown): { effects: Effect[]; result: T } {
  const effects: Effect[] = [];
  let step = operation.next();
  while (step.done !== true) {
    effects.push(step.value);
    step = operation.next(answer(step.value));
  }
  return { effects, result: step.value };
}

const rowsOf = (id: string): StatementResult<unknown> => ({ rows: [{ id }], changes: 0 });

describe("together", () => {
  it("two statements waiting at once go as one effect, and each operation gets its own answer", () => {
    const log: string[] = [];
    const { effects, result } = drive(together(read("a", log), read("b", log)), (effect) => {
      expect(effect.kind).toBe("statements");
      const statements = (effect as Extract<Effect, { kind: "statements" }>).statements;
      return statements.map((each) => rowsOf(`found-${(each.params as { id: string }).id}`));
    });
    expect(effects).toHaveLength(1);
    expect((effects[0] as Extract<Effect, { kind: "statements" }>).statements.map((each) => each.params)).toEqual([{ id: "a" }, { id: "b" }]);
    expect(result).toEqual(["found-a", "found-b"]);
    expect(log).toEqual(["read a", "read b"]);
  });

  it("other effects go alone, the first operation's before the second's, and a longer operation runs on to its end", () => {
    function* longer(): Operation<string> {
      const first = yield* read("c", []);
      yield* append(insertStore, { id: "x" });
      const pinOk = yield* verifyPin("1234", "hash");
      const second = yield* read("d", []);
      return `${first}/${String(pinOk)}/${second}`;
    }
    const { effects, result } = drive(together(read("a", []), longer()), (effect) => {
      if (effect.kind === "statements") return effect.statements.map((each) => rowsOf((each.params as { id: string }).id));
      if (effect.kind === "statement") return rowsOf((effect.params as { id: string }).id);
      if (effect.kind === "verify-pin") return true;
      return undefined;
    });
    expect(effects.map((effect) => effect.kind)).toEqual(["statements", "append", "verify-pin", "statement"]);
    expect(result).toEqual(["a", "c/true/d"]);
  });

  it("a first operation that yields something else first: that effect goes alone, then the statements pair up", () => {
    function* appendsFirst(): Operation<string> {
      yield* append(insertStore, { id: "y" });
      return yield* read("e", []);
    }
    const { effects, result } = drive(together(appendsFirst(), read("f", [])), (effect) => {
      if (effect.kind === "statements") return effect.statements.map((each) => rowsOf((each.params as { id: string }).id));
      return undefined;
    });
    expect(effects.map((effect) => effect.kind)).toEqual(["append", "statements"]);
    expect(result).toEqual(["e", "f"]);
  });
});
