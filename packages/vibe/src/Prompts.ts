/**
 * What the model is asked. Apps are one self-contained document: the serving origin's
 * Content-Security-Policy blocks anything fetched from elsewhere, so the prompt says so up front.
 */

/** A chat message as the router's OpenAI-format endpoint takes it. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

const SYSTEM = `You build small single-page web apps.
Answer with exactly one complete, self-contained HTML document in a \`\`\`html code block, starting with <!DOCTYPE html>.
Put all CSS in <style> and all JavaScript in <script> inside the document.
Load nothing from the network: no CDNs, no external scripts, fonts, images or APIs (they are blocked). Use inline SVG, data: URLs or canvas for graphics.
Store state, if any, in localStorage. Make it work on small and large screens.
Do not explain the code outside the code block.`

/** Messages for an app's first version. */
export const create = (prompt: string): ReadonlyArray<ChatMessage> => [
  { role: "system", content: SYSTEM },
  { role: "user", content: prompt }
]

/**
 * Messages for an edit: the first request, the current document as the model's own previous
 * answer, then the change asked for (so the last user message is the change itself).
 */
export const edit = (
  firstPrompt: string,
  currentHtml: string,
  change: string
): ReadonlyArray<ChatMessage> => [
  { role: "system", content: SYSTEM },
  { role: "user", content: firstPrompt },
  { role: "assistant", content: `\`\`\`html\n${currentHtml}\n\`\`\`` },
  { role: "user", content: `Change the app: ${change}\nAnswer with the whole updated document.` }
]

/** Messages for the short assistant message kept in the app's history. */
export const explain = (request: string, isEdit: boolean): ReadonlyArray<ChatMessage> => [
  {
    role: "system",
    content:
      "You tell a user, in one or two short friendly sentences and without code, what was just built or changed for them."
  },
  { role: "user", content: `${isEdit ? "Change requested" : "App requested"}: ${request}` }
]
