/**
 * REST calls to the Covisor server: JSON requests with a Bearer token and multipart uploads with
 * progress. Every failure becomes an `ApiError` carrying PROTOCOL.md's error `code`, so callers
 * switch on codes, never on HTTP statuses or message texts.
 */

export class ApiError extends Error {
  /**
   * @param {string} code PROTOCOL.md error code, or "offline" when the server was not reached
   * @param {string} message server-provided explanation (not shown to users verbatim)
   * @param {number} status HTTP status (0 when offline)
   * @param {number|null} retryAfter seconds, for `rate_limited`
   */
  constructor(code, message, status = 0, retryAfter = null) {
    super(message || code);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const CODE_BY_STATUS = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  415: "unsupported",
  429: "rate_limited",
};

function errorFrom(status, body, retryHeader) {
  const error = body?.error ?? {};
  const code = error.code ?? CODE_BY_STATUS[status] ?? "internal";
  const retryAfter = Number(error.retry_after ?? retryHeader) || null;
  return new ApiError(code, error.message ?? "", status, retryAfter);
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** Resolve a server path such as `/media/x.webp` against the server origin. */
export function serverUrl(origin, path) {
  return new URL(path, origin).href;
}

export class Api {
  /**
   * @param {string} origin server origin, e.g. "https://shop.example"
   * @param {string|null} token Bearer token, or null for anonymous calls
   */
  constructor(origin, token = null) {
    this.origin = origin;
    this.token = token;
  }

  /** The same server with another token. */
  withToken(token) {
    return new Api(this.origin, token);
  }

  #headers(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** `method path` with an optional JSON body; resolves with the parsed JSON answer. */
  async request(method, path, body = undefined) {
    return parseJson(await this.#send(method, path, body));
  }

  /** `GET path` of a page (the printable transcript): resolves with its text. */
  page(path) {
    return this.#send("GET", path, undefined, { Accept: "text/html" });
  }

  async #send(method, path, body, accept = {}) {
    let response;
    try {
      const type = body === undefined ? {} : { "Content-Type": "application/json" };
      response = await fetch(serverUrl(this.origin, path), {
        method,
        headers: this.#headers({ ...type, ...accept }),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (error) {
      throw new ApiError("offline", String(error?.message ?? error));
    }
    const text = await response.text();
    if (!response.ok) {
      throw errorFrom(response.status, parseJson(text), response.headers.get("Retry-After"));
    }
    return text;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body = {}) {
    return this.request("POST", path, body);
  }

  patch(path, body = {}) {
    return this.request("PATCH", path, body);
  }

  put(path, body = {}) {
    return this.request("PUT", path, body);
  }

  /** `DELETE path`; resolves with null for a `204 No Content`. */
  delete(path) {
    return this.request("DELETE", path);
  }

  /**
   * Upload `file` as multipart field `file`. `onProgress(fraction)` follows the request body
   * (XMLHttpRequest exposes upload progress; fetch does not). Returns `{promise, abort}`; the
   * promise resolves with the JSON answer or rejects with an `ApiError` ("cancelled" on abort).
   */
  upload(path, file, onProgress = () => {}) {
    const xhr = new XMLHttpRequest();
    const promise = new Promise((resolve, reject) => {
      xhr.open("POST", serverUrl(this.origin, path));
      for (const [name, value] of Object.entries(this.#headers())) {
        xhr.setRequestHeader(name, value);
      }
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        const body = parseJson(xhr.responseText);
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          resolve(body);
        } else {
          reject(errorFrom(xhr.status, body, xhr.getResponseHeader("Retry-After")));
        }
      });
      xhr.addEventListener("error", () => reject(new ApiError("offline", "upload failed")));
      xhr.addEventListener("abort", () => reject(new ApiError("cancelled", "upload cancelled")));
      const form = new FormData();
      form.append("file", file, file.name || "upload");
      xhr.send(form);
    });
    return { promise, abort: () => xhr.abort() };
  }
}
