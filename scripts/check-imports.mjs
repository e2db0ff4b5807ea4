#!/usr/bin/env node
// The import graph's rules, checked over the TypeScript sources (no build needed):
//   1. no import cycle between modules of a package's src/ (type-only imports count too: they tie the
//      files together for a reader just the same);
//   2. each package imports only the workspace packages its package.json declares, and the package graph
//      has no cycle (runtime dependencies only: a test may use a devDependency);
//   3. no file imports another package's src/ (or test/) by path: only its public entries;
//   4. the `/parts` entries (the server's and the agent's inner pieces) are imported only by the harness;
//   5. every other package a src/ file imports is in its package.json dependencies (a hoisted
//      node_modules would hide a missing one until a till installs the package alone).
// Usage: node scripts/check-imports.mjs [--root DIR] [--json]. Exit 1 and one line per violation when a rule breaks.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const rootFlag = process.argv.indexOf("--root");
const root = rootFlag > 0 ? resolve(process.argv[rootFlag + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), "..");
const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const packages = rootPackage.workspaces.map((folder) => {
  const manifest = JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8"));
  return { folder, name: manifest.name, dependencies: Object.keys(manifest.dependencies ?? {}), devDependencies: Object.keys(manifest.devDependencies ?? {}) };
});
const byName = new Map(packages.map((p) => [p.name, p]));
const harness = "@codepay/harness";

function sourceFiles(directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return entry === "node_modules" || entry === "dist" ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(entry) && !entry.endsWith(".d.ts") ? [path] : [];
  });
}

const importPattern = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

/** Every specifier a file imports, with whether the import is type-only. */
function importsOf(file) {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...text.matchAll(importPattern)].map((match) => ({ specifier: match[2] ?? match[3], typeOnly: Boolean(match[1]) }));
}

function resolveRelative(file, specifier) {
  const base = resolve(dirname(file), specifier);
  for (const candidate of [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const violations = [];
const edges = new Map(); // module -> Set(module), within src/ of one package
const packageEdges = new Map(packages.map((p) => [p.name, new Set()]));

for (const pkg of packages) {
  for (const area of ["src", "test"]) {
    for (const file of sourceFiles(join(root, pkg.folder, area))) {
      const at = relative(root, file);
      for (const { specifier } of importsOf(file)) {
        if (specifier.startsWith(".")) {
          const target = resolveRelative(file, specifier);
          if (target === undefined) continue;
          const targetPath = relative(root, target);
          if (!targetPath.startsWith(`${pkg.folder}/`)) violations.push(`${at}: imports ${targetPath} of another package by path (use its package entry)`);
          else if (area === "src" && targetPath.startsWith(`${pkg.folder}/src/`)) {
            if (!edges.has(at)) edges.set(at, new Set());
            edges.get(at).add(targetPath);
          } else if (area === "src") violations.push(`${at}: src imports ${targetPath}`);
          continue;
        }
        const workspaceName = [...byName.keys()].find((name) => specifier === name || specifier.startsWith(`${name}/`));
        if (workspaceName === undefined) {
          const external = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
          if (area === "src" && !specifier.startsWith("node:") && !pkg.dependencies.includes(external)) {
            violations.push(`${at}: imports ${external}, which ${pkg.folder}/package.json does not declare as a dependency`);
          }
          continue;
        }
        if (workspaceName === pkg.name) continue;
        const declared = area === "src" ? pkg.dependencies : [...pkg.dependencies, ...pkg.devDependencies];
        if (!declared.includes(workspaceName)) violations.push(`${at}: imports ${workspaceName}, which ${pkg.folder}/package.json does not declare${area === "src" ? " as a dependency" : ""}`);
        if (specifier.endsWith("/parts") && pkg.name !== harness) violations.push(`${at}: imports ${specifier}, the inner pieces only the harness may compose`);
        if (area === "src") packageEdges.get(pkg.name).add(workspaceName);
      }
    }
  }
  // Declared runtime dependencies count as arrows too, imported or not.
  for (const dependency of pkg.dependencies) if (byName.has(dependency)) packageEdges.get(pkg.name).add(dependency);
}

/** Strongly connected components with more than one member (or a self-loop): the cycles. */
function cycles(graph) {
  let index = 0;
  const indices = new Map(), lowlinks = new Map(), onStack = new Set(), stack = [], found = [];
  const visit = (node) => {
    indices.set(node, index); lowlinks.set(node, index); index += 1; stack.push(node); onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) { visit(next); lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next))); }
      else if (onStack.has(next)) lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)));
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component = [];
      let member;
      do { member = stack.pop(); onStack.delete(member); component.push(member); } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? new Set()).has(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

for (const component of cycles(edges)) violations.push(`import cycle: ${component.join(" <-> ")}`);
for (const component of cycles(packageEdges)) violations.push(`package cycle: ${component.join(" <-> ")}`);

if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify({ violations }, null, 2)}\n`);
else {
  for (const violation of violations) process.stdout.write(`${violation}\n`);
  process.stdout.write(`import graph: ${edges.size} modules with imports, ${packages.length} packages, ${violations.length} violations\n`);
}
process.exit(violations.length === 0 ? 0 : 1);
