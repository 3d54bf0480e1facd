/**
 * Grounding in the team's documents: what retrieval returns, what the evidence check finds, and
 * what the draft card shows. Types only (re-exported by messages.ts).
 */

/** A passage from the team's documents, numbered as the writer cites it ([n]). */
export interface Passage {
  n: number;
  /** How the file is cited: `<collection>/<path relative to the folder added>` (before collections: as indexed). */
  source: string;
  /** The collection it came from (absent in runs from before collections). */
  collection?: string;
  /** Heading path, empty when none. */
  section: string;
  /** 1-based PDF page, 0 when not paged. */
  page: number;
  text: string;
  /** Cosine similarity to the topic. */
  score: number;
}

/**
 * What retrieval found: passages, or why there are none. `no-index`: no knowledge base set up;
 * `empty-index`: set up but holding nothing; `nothing-relevant`: nothing above the relevance floor;
 * `not-shared`: no collection is bound to the run's conversation (what other conversations hold is
 * never said).
 */
export interface Grounding {
  status: 'grounded' | 'no-index' | 'empty-index' | 'nothing-relevant' | 'not-shared';
  passages: Passage[];
  docsOnly?: boolean;
  /** The collections whose passages answered (absent in runs from before collections). */
  collections?: string[];
}

export interface RetrieveContextInput {
  topic: string;
  docsOnly?: boolean;
  /**
   * The run's conversation. Workflow code does not pass it yet: the activity then finds it from
   * its workflow's parent (the pipeline's memo, written at start from the signed command).
   */
  channel?: string;
}

/** How one statement of a draft stands against the passages it was written from. */
export interface StatementCheck {
  statement: string;
  verdict: 'supported' | 'general' | 'unsupported';
  /** The passage number it cites or is supported by; 0 when none. */
  passage: number;
}

export interface EvidenceReport {
  statements: StatementCheck[];
  supported: number;
  total: number;
}

/** What the draft card shows about sources and evidence (src/slack/blocks/sources.ts). */
export interface GroundingCard {
  grounding: Grounding;
  evidence?: EvidenceReport;
  /** Why there is no evidence report for a grounded draft. */
  evidenceNote?: string;
}
