// The pull progress stream: what a runtime reports while it pulls, and the JSON lines the
// kubelet's POST /images/pull and GET /images/pulls?image= send through the node proxy to
// `skiff pull` and `skiff run --wait`.

/**
 * The body of POST /images/pull (JSON, optional): the user's credentials for the image's
 * registry, as docker's client hands them to its daemon (X-Registry-Auth), read by `skiff
 * pull` from the user's docker config. They are used for that pull alone, never kept or logged.
 */
export interface PullRequestBody {
  auth?: { username?: string; password?: string; identityToken?: string; registryToken?: string };
}

/** One step of one blob of a pull. */
export interface PullProgress {
  /** Layer (or config/manifest) digest. */
  digest: string;
  kind: 'manifest' | 'config' | 'layer';
  status: 'waiting' | 'downloading' | 'verifying' | 'exists' | 'done' | 'extracting' | 'extracted';
  bytesDone: number;
  bytesTotal: number;
}

/**
 * One line of the stream, one of: {"progress": ...} while blobs move; {"image": "<id>", "done":
 * true} at the end; {"error": "..."} when the pull failed; {"done": true, "pulling": false},
 * from GET /images/pulls only, at once when the kubelet is not pulling that reference.
 */
export interface PullLine {
  progress?: PullProgress;
  image?: string;
  done?: boolean;
  error?: string;
  pulling?: boolean;
}
