package codemode

import (
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// capsSource wraps the built-ins that can build a large string or array in
// one call, which no interrupt can stop, with a size check made before the
// call. It runs in the cell before the script; the originals stay in its
// closure, out of the script's reach. A wrapped constructor shares the
// original's prototype and statics, so instanceof, isArray and subclassing
// behave as before.
//
// It cannot see everything: an array grown by assigning a large length can
// still make a built-in loop over it for a while (the CPU budget and the
// watchdog act when the built-in returns).
const capsSource = `(function (maxString, maxArray) {
	"use strict";
	const tooLong = (what, n, max) => {
		if (n > max) throw new RangeError(what + " would make " + n + " items, more than the cell's limit of " + max);
	};
	const lengthOf = (v) => (v === undefined || v === null) ? 0 : String(v).length;
	const patch = (proto, name, check) => {
		const original = proto[name];
		Object.defineProperty(proto, name, {
			value: { [name](...args) { check(this, args); return Reflect.apply(original, this, args); } }[name],
			writable: true, configurable: true, enumerable: false,
		});
	};
	const S = String.prototype;
	patch(S, "repeat", (s, [n]) => tooLong("repeat", String(s).length * Math.max(0, Number(n) || 0), maxString));
	patch(S, "padStart", (s, [n]) => tooLong("padStart", Number(n) || 0, maxString));
	patch(S, "padEnd", (s, [n]) => tooLong("padEnd", Number(n) || 0, maxString));
	patch(S, "concat", (s, args) => {
		let n = String(s).length;
		for (const a of args) n += lengthOf(a);
		tooLong("concat", n, maxString);
	});
	const match = S.match, indexOf = S.indexOf;
	const grow = (name) => (s, [pattern, repl]) => {
		if (typeof repl === "function") return; // runs script code per match: interruptible
		const str = String(s), r = String(repl);
		let count = 1, longest = 0;
		if (pattern instanceof RegExp) {
			if (pattern.global || name === "replaceAll") {
				const found = Reflect.apply(match, str, [new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g")]) || [];
				count = found.length;
				for (const m of found) if (m.length > longest) longest = m.length;
			} else {
				longest = str.length;
			}
		} else {
			const p = String(pattern);
			longest = p.length;
			if (name === "replaceAll") {
				count = 0;
				if (p === "") count = str.length + 1;
				else for (let i = Reflect.apply(indexOf, str, [p]); i >= 0; i = Reflect.apply(indexOf, str, [p, i + p.length])) count++;
			}
		}
		const dollars = r.split("$").length - 1;
		tooLong(name, str.length + count * (r.length + dollars * Math.max(longest, str.length)), maxString);
	};
	patch(S, "replace", grow("replace"));
	patch(S, "replaceAll", grow("replaceAll"));
	patch(Array.prototype, "join", (a, [sep]) => {
		const len = Number(a.length) || 0;
		tooLong("join", len, maxArray);
		let n = Math.max(0, len - 1) * (sep === undefined ? 1 : lengthOf(sep));
		for (let i = 0; i < len; i++) n += lengthOf(a[i]);
		tooLong("join", n, maxString);
	});
	patch(Array.prototype, "fill", (a) => tooLong("fill", Number(a.length) || 0, maxArray));
	const arrayFrom = Array.from;
	Array.from = function from(items, ...rest) {
		if (items !== null && items !== undefined) tooLong("Array.from", Number(items.length) || 0, maxArray);
		return Reflect.apply(arrayFrom, this, [items, ...rest]);
	};
	const sized = (name, bytes) => (args) => {
		const a = args[0];
		if (typeof a === "number") tooLong(name, a / bytes, maxArray);
		else if (a !== null && typeof a === "object" && typeof a.length === "number") tooLong(name, a.length, maxArray);
	};
	const guard = (name, check) => {
		const target = globalThis[name];
		const wrapper = function (...args) {
			check(args);
			if (new.target === undefined) return Reflect.apply(target, this, args);
			return Reflect.construct(target, args, new.target === wrapper ? target : new.target);
		};
		Object.setPrototypeOf(wrapper, Object.getPrototypeOf(target));
		for (const key of Reflect.ownKeys(target)) {
			if (key === "prototype" || key === "arguments" || key === "caller") continue;
			Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(target, key));
		}
		wrapper.prototype = target.prototype;
		Object.defineProperty(target.prototype, "constructor", { value: wrapper, writable: true, configurable: true, enumerable: false });
		globalThis[name] = wrapper;
	};
	guard("Array", (args) => { if (args.length === 1 && typeof args[0] === "number") tooLong("Array", args[0], maxArray); });
	guard("ArrayBuffer", sized("ArrayBuffer", 8));
	for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
		"Int32Array", "Uint32Array", "Float32Array", "Float64Array"]) {
		guard(name, sized(name, 1));
	}
})`

// compileCaps compiles the prelude once per Manager; every cell runs it.
func compileCaps() *goja.Program {
	ast, err := parser.ParseFile(nil, "caps", capsSource, 0, parser.WithDisableSourceMaps)
	if err != nil {
		panic("codemode: caps prelude: " + err.Error())
	}
	prog, err := goja.CompileAST(ast, true)
	if err != nil {
		panic("codemode: caps prelude: " + err.Error())
	}
	return prog
}

func (c *cell) capBuiltins() error {
	fnVal, err := c.rt.RunProgram(c.m.caps)
	if err != nil {
		return err
	}
	fn, _ := goja.AssertFunction(fnVal)
	_, err = fn(goja.Undefined(), c.rt.ToValue(c.m.limits.MaxString), c.rt.ToValue(c.m.limits.MaxArray))
	return err
}
