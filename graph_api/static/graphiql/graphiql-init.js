/*
 * graphiql-init.js: starts the self-hosted GraphiQL page of graph_api.
 *
 * Loaded by index.html after React, ReactDOM, GraphiQL and the explorer
 * plugin (UMD globals: React, ReactDOM, GraphiQL, GraphiQLPluginExplorer).
 * Reads the two values that the server injects into index.html:
 *   window.graphiqlExamples  JSON array of {name, query, variables?, headers?, description?}
 *   window.graphiqlHeaders   JSON object (or JSON text of an object) of default request headers
 * Either one may still be the unreplaced placeholder string; then defaults apply.
 *
 * The only network request this makes is the GraphQL POST to the page's own
 * URL (same origin, same path, without the query string).
 */
(function () {
  "use strict";

  var rootEl = document.getElementById("graphiql");

  var DEFAULT_QUERY = [
    "# 清河门区党建网格知识图谱 · GraphQL",
    "#",
    "# Ctrl-Enter（或 ▶）执行查询，Ctrl-Space 自动补全。",
    "# 左侧栏：文档（schema）、历史、Explorer（点选字段生成查询）。",
    "#",
    "# Ctrl-Enter runs the query, Ctrl-Space autocompletes.",
    "# Sidebar: schema docs, history, Explorer.",
    "",
    "query {",
    "  __typename",
    "}",
    "",
  ].join("\n");

  // Tab contents are not restored from localStorage: every page load opens
  // with the server's example tabs (first one active). Query history, theme,
  // panel sizes etc. still persist. Set to true to keep the user's tabs.
  var RESTORE_TABS = false;
  var SESSION_KEYS = ["tabState", "query", "variables", "headers", "operationName"];
  var STORAGE_NS = "graphiql:";

  function bootError(message, err) {
    if (window.console && console.error) {
      console.error("[graphiql] " + message, err || "");
    }
    rootEl.textContent = "";
    var pre = document.createElement("pre");
    pre.className = "graphiql-boot-error";
    pre.textContent =
      "GraphiQL 启动失败 / GraphiQL failed to start:\n" +
      message +
      (err ? "\n\n" + ((err && err.stack) || String(err)) : "");
    rootEl.appendChild(pre);
  }

  // The placeholder token itself never appears in this file (the server only
  // rewrites index.html, but keep it that way anyway).
  function isPlaceholder(value) {
    return typeof value === "string" && /^__GRAPHIQL_[A-Z_]+__$/.test(value);
  }

  // Turns variables/headers given as an object or as JSON text into editor text.
  function toEditorText(value) {
    if (value === undefined || value === null || isPlaceholder(value)) return undefined;
    if (typeof value === "string") {
      var trimmed = value.trim();
      return trimmed === "" ? undefined : value;
    }
    if (typeof value === "object") {
      if (!Array.isArray(value) && Object.keys(value).length === 0) return undefined;
      try {
        return JSON.stringify(value, null, 2);
      } catch (e) {
        return undefined;
      }
    }
    return undefined;
  }

  function normalizeHeaders(raw) {
    if (typeof raw === "string" && !isPlaceholder(raw)) {
      var trimmed = raw.trim();
      if (trimmed === "") return undefined;
      try {
        var parsed = JSON.parse(trimmed);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
          return toEditorText(parsed);
        }
      } catch (e) {
        /* not JSON: show it as given, GraphiQL will flag it */
      }
      return raw;
    }
    if (raw && typeof raw === "object" && !Array.isArray(raw)) return toEditorText(raw);
    return undefined;
  }

  function normalizeExamples(raw, defaultHeaders) {
    if (typeof raw === "string" && !isPlaceholder(raw)) {
      try {
        raw = JSON.parse(raw);
      } catch (e) {
        console.warn("[graphiql] examples are not valid JSON; using the default query", e);
        return null;
      }
    }
    if (!Array.isArray(raw)) return null;
    var tabs = [];
    for (var i = 0; i < raw.length; i++) {
      var ex = raw[i];
      if (typeof ex === "string") ex = { query: ex };
      if (!ex || typeof ex !== "object" || typeof ex.query !== "string" || ex.query.trim() === "") {
        console.warn("[graphiql] skipping example #" + i + " (no query)", ex);
        continue;
      }
      var query = ex.query;
      if (typeof ex.description === "string" && ex.description.trim() !== "") {
        query =
          ex.description
            .trim()
            .split(/\r?\n/)
            .map(function (line) {
              return "# " + line;
            })
            .join("\n") +
          "\n" +
          query;
      }
      var headers = toEditorText(ex.headers);
      tabs.push({
        query: query,
        variables: toEditorText(ex.variables),
        headers: headers !== undefined ? headers : defaultHeaders,
      });
    }
    return tabs.length ? tabs : null;
  }

  function makeStorage() {
    var ls;
    try {
      ls = window.localStorage;
      var probe = STORAGE_NS + "__probe__";
      ls.setItem(probe, "1");
      ls.removeItem(probe);
    } catch (e) {
      return null; // storage disabled: GraphiQL runs without persistence
    }
    function ownKeys() {
      var keys = [];
      for (var i = 0; i < ls.length; i++) {
        var k = ls.key(i);
        if (k && k.indexOf(STORAGE_NS) === 0) keys.push(k);
      }
      return keys;
    }
    return {
      getItem: function (key) {
        if (!RESTORE_TABS) {
          for (var i = 0; i < SESSION_KEYS.length; i++) {
            if (key === STORAGE_NS + SESSION_KEYS[i]) return null;
          }
        }
        return ls.getItem(key);
      },
      setItem: function (key, value) {
        ls.setItem(key, value);
      },
      removeItem: function (key) {
        ls.removeItem(key);
      },
      clear: function () {
        ownKeys().forEach(function (k) {
          ls.removeItem(k);
        });
      },
      get length() {
        return ownKeys().length;
      },
    };
  }

  try {
    if (!window.React || !window.ReactDOM || !window.GraphiQL) {
      bootError(
        "React / ReactDOM / GraphiQL scripts did not load. Check that /graphiql-assets/ is served by the API."
      );
      return;
    }

    var endpoint = window.location.origin + window.location.pathname;
    var defaultHeaders = normalizeHeaders(window.graphiqlHeaders);
    var tabs = normalizeExamples(window.graphiqlExamples, defaultHeaders);
    if (!tabs) {
      tabs = [{ query: DEFAULT_QUERY, variables: undefined, headers: defaultHeaders }];
    }

    var plugins = [];
    if (window.GraphiQLPluginExplorer && typeof GraphiQLPluginExplorer.explorerPlugin === "function") {
      plugins.push(GraphiQLPluginExplorer.explorerPlugin());
    } else {
      console.warn("[graphiql] explorer plugin not loaded; continuing without it");
    }

    var fetcher = GraphiQL.createFetcher({ url: endpoint });

    var first = tabs[0];
    var toolsVisibility = first.variables ? "variables" : first.headers ? "headers" : false;

    var props = {
      fetcher: fetcher,
      plugins: plugins,
      defaultTabs: tabs,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: toolsVisibility,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
      storage: makeStorage(),
    };
    if (defaultHeaders !== undefined) props.defaultHeaders = defaultHeaders;

    window.graphiqlEndpoint = endpoint;
    ReactDOM.createRoot(rootEl).render(React.createElement(GraphiQL, props));
  } catch (err) {
    bootError("unexpected error while starting GraphiQL", err);
  }
})();
