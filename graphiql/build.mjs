// Builds the self-hosted GraphiQL assets into graph_api/static/graphiql/.
// Run through `bash graphiql/build.sh` (which runs `npm ci` first).
// Uses only Node's standard library: the assets are the prebuilt UMD/minified
// files shipped inside the pinned npm packages, copied verbatim (minus their
// sourceMappingURL comments, since the source maps are not shipped).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const NM = path.join(HERE, "node_modules");
const OUT = path.resolve(process.env.GRAPHIQL_OUT_DIR || path.join(REPO, "graph_api", "static", "graphiql"));
const URL_PREFIX = "/graphiql-assets/";
const PLACEHOLDERS = ['"__GRAPHIQL_EXAMPLES__"', '"__GRAPHIQL_HEADERS__"'];

function die(msg) {
  console.error(`build.mjs: ERROR: ${msg}`);
  process.exit(1);
}

function pkgJson(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
}

function sha256(buf) {
  return createHash("sha256").update(buf).digest("hex");
}

// ---------------------------------------------------------------- assets
// [output name, source (relative to node_modules or to graphiql/), npm package]
const ASSETS = [
  ["react.production.min.js", "react/umd/react.production.min.js", "react"],
  ["react-dom.production.min.js", "react-dom/umd/react-dom.production.min.js", "react-dom"],
  ["graphiql.min.js", "graphiql/graphiql.min.js", "graphiql"],
  ["graphiql.min.css", "graphiql/graphiql.min.css", "graphiql"],
  ["graphiql-plugin-explorer.umd.js", "@graphiql/plugin-explorer/dist/index.umd.js", "@graphiql/plugin-explorer"],
  ["graphiql-plugin-explorer.css", "@graphiql/plugin-explorer/dist/style.css", "@graphiql/plugin-explorer"],
  ["graphiql-init.js", "src/graphiql-init.js", null],
];

if (!fs.existsSync(NM)) die(`${NM} is missing: run 'bash graphiql/build.sh' (it runs npm ci first)`);

// Start from an empty output folder: it holds build output only.
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(path.join(OUT, "licenses"), { recursive: true });

const hashes = {};
const files = {};
for (const [name, src, pkg] of ASSETS) {
  const from = pkg ? path.join(NM, src) : path.join(HERE, src);
  if (!fs.existsSync(from)) die(`missing ${from}`);
  let text = fs.readFileSync(from, "utf8");
  // Source maps are not shipped: drop the comments that point at them so that
  // browser dev tools do not request them (they would 404).
  text = text.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n").replace(/\/\*# sourceMappingURL=\S+ \*\/\s*$/, "\n");
  fs.writeFileSync(path.join(OUT, name), text);
  hashes[name] = sha256(text).slice(0, 12);
  files[name] = { from: pkg ? `${pkg}: ${src.slice(pkg.length + 1)}` : `graphiql/${src}` };
}

// ---------------------------------------------------------------- index.html
let html = fs.readFileSync(path.join(HERE, "src", "index.html"), "utf8");
html = html.replace(/\{\{asset:([^}]+)\}\}/g, (_, name) => {
  if (!hashes[name]) die(`index.html references unknown asset ${name}`);
  return `${URL_PREFIX}${name}?v=${hashes[name]}`;
});
if (html.includes("{{")) die("index.html still has an unreplaced {{...}} token");
for (const ph of PLACEHOLDERS) {
  const bare = ph.slice(1, -1);
  const n = html.split(bare).length - 1;
  if (n !== 1) die(`placeholder ${bare} must occur exactly once in index.html (found ${n})`);
  if (!html.includes(ph)) die(`placeholder ${ph} must be a quoted JS string literal`);
}
fs.writeFileSync(path.join(OUT, "index.html"), html);
files["index.html"] = { from: "graphiql/src/index.html" };

// ---------------------------------------------------------------- licences
// Which npm packages' code ends up in the shipped files:
//  * react / react-dom UMD (react-dom inlines the scheduler package);
//  * graphiql.min.js: everything listed in the "sources" of the source map that
//    graphiql publishes next to it (its own monorepo packages + node_modules);
//  * the explorer plugin UMD bundles graphiql-explorer.
const bundled = new Map(); // package name -> Set of shipped files that contain it
function addPkg(name, file) {
  if (!bundled.has(name)) bundled.set(name, new Set());
  bundled.get(name).add(file);
}
addPkg("react", "react.production.min.js");
addPkg("react-dom", "react-dom.production.min.js");
addPkg("scheduler", "react-dom.production.min.js");
addPkg("graphiql", "graphiql.min.js");
addPkg("graphiql", "graphiql.min.css");
addPkg("@graphiql/plugin-explorer", "graphiql-plugin-explorer.umd.js");
addPkg("@graphiql/plugin-explorer", "graphiql-plugin-explorer.css");
addPkg("graphiql-explorer", "graphiql-plugin-explorer.umd.js");
addPkg("react", "graphiql-plugin-explorer.umd.js"); // react/jsx-runtime helpers

// graphiql's monorepo folder names -> npm package names
const MONOREPO = {
  "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit",
  "codemirror-graphql": "codemirror-graphql",
  "graphql-language-service": "graphql-language-service",
  src: "graphiql",
};
const map = JSON.parse(fs.readFileSync(path.join(NM, "graphiql", "graphiql.min.js.map"), "utf8"));
for (const source of map.sources) {
  const i = source.lastIndexOf("node_modules/");
  let name;
  if (i >= 0) {
    const parts = source.slice(i + "node_modules/".length).split("/");
    name = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  } else {
    const top = source.replace(/^(\.\.\/)+/, "").split("/")[0];
    name = MONOREPO[top];
    if (!name) die(`graphiql.min.js.map: cannot map source ${source} to an npm package`);
  }
  addPkg(name, "graphiql.min.js");
}
// The CSS of graphiql.min.css comes from @graphiql/react too.
addPkg("@graphiql/react", "graphiql.min.css");

// Find an installed copy of a package (top level first, then nested).
function findPkgDir(name) {
  const top = path.join(NM, name);
  if (fs.existsSync(path.join(top, "package.json"))) return top;
  const stack = [NM];
  while (stack.length) {
    const dir = stack.pop();
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === "node_modules") {
        const cand = path.join(p, name);
        if (fs.existsSync(path.join(cand, "package.json"))) return cand;
      }
      stack.push(p);
    }
  }
  return null;
}

const LICENSE_RE = /^(licen[cs]e|copying)([-.](mit|apache|bsd))?([-.](md|txt|markdown))?$/i;
// Packages whose npm tarball has no licence file of its own:
//  * published from the same monorepo as another installed package -> that
//    package's licence file (same licence, same copyright holder);
//  * otherwise a text kept in graphiql/licenses-extra/<out name>, taken from
//    the package's repository (see the note at the top of each such file).
const LICENSE_FROM_SIBLING = {
  "@graphiql/plugin-explorer": "graphiql", // github.com/graphql/graphiql
  "react-compiler-runtime": "react", // github.com/facebook/react
};
const EXTRA = path.join(HERE, "licenses-extra");

const rows = [];
for (const name of [...bundled.keys()].sort()) {
  const dir = findPkgDir(name);
  if (!dir) die(`package ${name} (bundled in ${[...bundled.get(name)].join(", ")}) is not installed; add it to package.json so its licence can be shipped`);
  const meta = pkgJson(dir);
  const license = typeof meta.license === "string" ? meta.license : JSON.stringify(meta.license);
  const outName = `${name.replace(/^@/, "").replace(/\//g, "__")}-LICENSE`;
  let text;
  let source;
  const own = fs.readdirSync(dir).find((f) => LICENSE_RE.test(f));
  if (own) {
    text = fs.readFileSync(path.join(dir, own), "utf8");
    source = `${name}@${meta.version}/${own}`;
  } else if (LICENSE_FROM_SIBLING[name]) {
    const sib = findPkgDir(LICENSE_FROM_SIBLING[name]);
    const sibFile = sib && fs.readdirSync(sib).find((f) => LICENSE_RE.test(f));
    if (!sibFile) die(`no licence file in ${LICENSE_FROM_SIBLING[name]} (fallback for ${name})`);
    const sibMeta = pkgJson(sib);
    source = `${sibMeta.name}@${sibMeta.version}/${sibFile} (same repository)`;
    text =
      `[${name}@${meta.version} publishes no licence file; its package.json declares "license": "${license}". ` +
      `It is developed in the same repository as ${sibMeta.name}; the text below is ${sibMeta.name}'s licence file.]\n\n` +
      fs.readFileSync(path.join(sib, sibFile), "utf8");
  } else if (fs.existsSync(path.join(EXTRA, outName))) {
    text = fs.readFileSync(path.join(EXTRA, outName), "utf8");
    source = `graphiql/licenses-extra/${outName}`;
  } else {
    die(`no licence file found for ${name}@${meta.version} (${dir}); add graphiql/licenses-extra/${outName}`);
  }
  fs.writeFileSync(path.join(OUT, "licenses", outName), text);
  rows.push({ name, version: meta.version, license, file: `licenses/${outName}`, source, in: [...bundled.get(name)].sort() });
}

const notices = [
  "Third-party software shipped in graph_api/static/graphiql/",
  "==========================================================",
  "",
  "Generated by graphiql/build.mjs. Each package below has code in the listed",
  "file(s); its licence text is in the named file of this folder. Versions are",
  "those installed from graphiql/package-lock.json (for code pre-bundled inside",
  "graphiql.min.js, the version graphiql 3.9.0 was built with may differ slightly;",
  "the licence is the same).",
  "",
  ...rows.map((r) => `${r.name}@${r.version}  [${r.license}]  ${r.file}\n    in: ${r.in.join(", ")}\n    licence text from: ${r.source}`),
  "",
];
fs.writeFileSync(path.join(OUT, "licenses", "THIRD-PARTY-NOTICES.txt"), notices.join("\n"));

// ---------------------------------------------------------------- checks
// 1. Nothing that a browser would load from another origin.
const RUNTIME = Object.keys(files).concat(Object.keys(hashes)).filter((f, i, a) => a.indexOf(f) === i);
const bad = [];
const checks = [
  [/<script[^>]+src\s*=\s*["']?(https?:)?\/\//gi, "script src to another origin"],
  [/<link[^>]+href\s*=\s*["']?(https?:)?\/\//gi, "link href to another origin"],
  [/<img[^>]+src\s*=\s*["']?(https?:)?\/\//gi, "img src to another origin"],
  [/@import\s+(url\()?\s*["']?(https?:)?\/\//gi, "CSS @import from another origin"],
  [/url\(\s*["']?(https?:)?\/\//gi, "CSS url() to another origin"],
  [/fonts\.(googleapis|gstatic)\.com/gi, "Google Fonts"],
  [/(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com)/gi, "public CDN"],
];
for (const f of RUNTIME) {
  const text = fs.readFileSync(path.join(OUT, f), "utf8");
  for (const [re, what] of checks) {
    for (const m of text.matchAll(re)) bad.push(`${f}: ${what}: ...${text.slice(Math.max(0, m.index - 40), m.index + 80)}...`);
  }
}
if (bad.length) die(`runtime files would fetch from the network:\n  ${bad.join("\n  ")}`);

// 2. Build manifest.
const version = (n) => pkgJson(path.join(NM, n)).version;
const manifest = {
  note: "Generated by graphiql/build.mjs; do not edit. Rebuild with: bash graphiql/build.sh",
  urlPrefix: URL_PREFIX,
  placeholders: PLACEHOLDERS,
  versions: {
    graphiql: version("graphiql"),
    "@graphiql/react": version("@graphiql/react"),
    "@graphiql/plugin-explorer": version("@graphiql/plugin-explorer"),
    react: version("react"),
    "react-dom": version("react-dom"),
    "graphql (bundled in graphiql.min.js)": (fs.readFileSync(path.join(OUT, "graphiql.min.js"), "utf8").match(/major:(\d+),minor:(\d+),patch:(\d+)/) || []).slice(1).join("."),
  },
  files: {},
};
let total = 0;
const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
for (const f of walk(OUT).sort()) {
  const rel = path.relative(OUT, f).split(path.sep).join("/");
  const buf = fs.readFileSync(f);
  total += buf.length;
  if (!rel.startsWith("licenses/")) manifest.files[rel] = { bytes: buf.length, sha256: sha256(buf), ...(files[rel] || {}) };
}
fs.writeFileSync(path.join(OUT, "build-manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

console.log(`GraphiQL assets written to ${path.relative(REPO, OUT) || OUT}`);
for (const [rel, info] of Object.entries(manifest.files)) console.log(`  ${String(info.bytes).padStart(9)}  ${rel}`);
console.log(`  ${rows.length} licence files in licenses/ (+ THIRD-PARTY-NOTICES.txt)`);
console.log(`  total ${(total / 1024 / 1024).toFixed(2)} MiB`);
