/**
 * What the `mock/vibe` model answers: a small, deterministic, working single-page app that shows
 * the request it was given, so the vibe-apps flow (generate, store, serve) runs end to end in local
 * mode with no provider key. The same request always gives the same page.
 */

/** The request, safe to place in HTML text. */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A hue from the request, so different apps look different but each one stays the same. */
const hueOf = (text: string) => {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 360
  return h
}

/** One self-contained HTML document (inline style and script, nothing fetched). */
export const html = (request: string): string => {
  const shown = escapeHtml(request.trim() || "an empty request")
  return `\`\`\`html
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vibe app</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:hsl(${hueOf(request)} 70% 92%)}
main{background:#fff;padding:2rem 2.5rem;border-radius:1rem;box-shadow:0 4px 24px #0002;max-width:36rem}
button{font-size:1rem;padding:.5rem 1rem;border-radius:.5rem;border:0;background:hsl(${hueOf(request)} 60% 40%);color:#fff;cursor:pointer}
</style>
</head>
<body>
<main>
<h1 id="prompt">${shown}</h1>
<p id="status">Loading…</p>
<button id="count" type="button">Clicked 0 times</button>
</main>
<script>
(function () {
  var clicks = 0;
  var button = document.getElementById("count");
  button.addEventListener("click", function () {
    clicks += 1;
    button.textContent = "Clicked " + clicks + " times";
  });
  document.getElementById("status").textContent = "Script is running";
  document.body.dataset.ready = "yes";
})();
</script>
</body>
</html>
\`\`\``
}
