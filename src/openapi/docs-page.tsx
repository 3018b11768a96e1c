/**
 * GET /docs: the OpenAPI document as one server-rendered page. No script and no CDN, so it
 * works offline and in local development: every operation, its parameters and its schemas.
 */
import type { Child } from "hono/jsx";

type Json = Record<string, any>;

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{border-bottom:1px solid #ccd;margin-top:2.5rem}section.op{border:1px solid #dde;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}.get{color:#0a6}.post{color:#06c}.patch,.put{color:#b70}.delete{color:#c22}
code{background:#f3f4f7;padding:0 .25rem;border-radius:3px}table{border-collapse:collapse;margin:.25rem 0 .75rem}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
details{margin:.25rem 0}.muted{color:#667}`;

const refName = (s: Json) => (typeof s.$ref === "string" ? s.$ref.split("/").pop()! : null);

/** A short type label: a link for a $ref, the values of an enum, the alternatives of anyOf. */
function TypeLabel({ schema }: { schema: Json }): Child {
  const ref = refName(schema);
  if (ref) return <a href={`#schema-${ref}`}>{ref}</a>;
  if (Array.isArray(schema.enum)) return <span>{schema.enum.map((v: unknown) => JSON.stringify(v)).join(" | ")}</span>;
  if (Array.isArray(schema.anyOf)) return <span>{schema.anyOf.map((s: Json) => (s.type ?? (Object.keys(s).length ? "object" : "any"))).join(" | ")}</span>;
  if (schema.type === "array") return <span>array of {schema.items ? <TypeLabel schema={schema.items} /> : "any"}</span>;
  return <span>{Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any")}</span>;
}

/** The rules a value must follow, in words. */
function rules(s: Json): string {
  const out: string[] = [];
  for (const k of ["minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "minItems", "maxItems", "format", "pattern"]) {
    if (s[k] !== undefined) out.push(`${k} ${s[k]}`);
  }
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  if (s.additionalProperties === false) out.push("no other fields");
  return out.join(", ");
}

function Properties({ schema }: { schema: Json }): Child {
  const target = schema.type === "array" && schema.items ? schema.items : schema;
  const props: Record<string, Json> | undefined = target.properties;
  if (!props) return <p class="muted">{rules(schema) || "Any JSON value"}</p>;
  const required = new Set<string>(target.required ?? []);
  return (
    <table>
      <tr><th>field</th><th>type</th><th>rules</th><th>description</th></tr>
      {Object.entries(props).map(([name, s]) => (
        <tr>
          <td><code>{name}</code>{required.has(name) ? " *" : ""}</td>
          <td><TypeLabel schema={s} /></td>
          <td>{rules(s)}</td>
          <td>
            {s.description ?? ""}
            {(s.properties || s.items?.properties) && (
              <details><summary>fields</summary><Properties schema={s} /></details>
            )}
          </td>
        </tr>
      ))}
    </table>
  );
}

function Operation({ method, path, op }: { method: string; path: string; op: Json }): Child {
  const security = (op.security ?? []).flatMap((s: Json) => Object.keys(s));
  const body = op.requestBody?.content?.["application/json"]?.schema;
  return (
    <section class="op" id={op.operationId}>
      <h3><span class={`m ${method}`}>{method}</span> <code>{path}</code></h3>
      <p>{op.summary} <span class="muted">— {security.length ? `Bearer ${security.join(" or ")}` : "no credentials"}</span></p>
      {op.parameters?.length > 0 && (
        <table>
          <tr><th>parameter</th><th>in</th><th>type</th><th>rules</th></tr>
          {op.parameters.map((p: Json) => (
            <tr><td><code>{p.name}</code>{p.required ? " *" : ""}</td><td>{p.in}</td><td><TypeLabel schema={p.schema} /></td><td>{rules(p.schema)} {p.description ?? ""}</td></tr>
          ))}
        </table>
      )}
      {body && <p>Body: <TypeLabel schema={body} /></p>}
      <p>
        Responses:{" "}
        {Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
          const schema = r.content?.["application/json"]?.schema;
          return <span>{status} {schema ? <TypeLabel schema={schema} /> : Object.keys(r.content ?? {})[0] ?? ""}; </span>;
        })}
      </p>
    </section>
  );
}

export function DocsPage({ doc }: { doc: Json }): Child {
  const byTag = new Map<string, [string, string, Json][]>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      const list = byTag.get(op.tags[0]) ?? [];
      list.push([method, path, op]);
      byTag.set(op.tags[0], list);
    }
  }
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{doc.info.title} API</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <h1>{doc.info.title} API <span class="muted">{doc.info.version}</span></h1>
        <p>{doc.info.description}</p>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {doc.openapi}). Fields marked * are required.</p>
        <h2>Credentials</h2>
        <ul>
          {Object.entries(doc.components.securitySchemes as Record<string, Json>).map(([name, s]) => (
            <li><code>{name}</code>: <code>Authorization: Bearer …</code>, {s.description}</li>
          ))}
        </ul>
        {[...byTag].map(([tag, ops]) => (
          <>
            <h2 id={`tag-${tag}`}>{tag}</h2>
            {ops.map(([method, path, op]) => <Operation method={method} path={path} op={op} />)}
          </>
        ))}
        <h2>Schemas</h2>
        {Object.entries(doc.components.schemas as Record<string, Json>).map(([name, s]) => (
          <section id={`schema-${name}`}>
            <h3>{name}</h3>
            {s.description && <p class="muted">{s.description}</p>}
            <Properties schema={s} />
          </section>
        ))}
      </body>
    </html>
  );
}
