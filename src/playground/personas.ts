/** Who a visitor can be in the playground, and the one channel it has. */
export interface Persona {
  id: string;
  name: string;
  role: 'requester' | 'reviewer' | 'someone else';
}

export const REQUESTER: Persona = { id: 'U0PLAYADA1', name: 'Ada', role: 'requester' };
/** The only reviewer: the playground sets REVIEWERS to this ID. */
export const REVIEWER: Persona = { id: 'U0PLAYGRACE', name: 'Grace', role: 'reviewer' };
export const SOMEONE_ELSE: Persona = { id: 'U0PLAYSAM1', name: 'Sam', role: 'someone else' };

export const PERSONAS: Persona[] = [REQUESTER, REVIEWER, SOMEONE_ELSE];

export const PLAYGROUND_CHANNEL = { id: 'C0PLAYRSRCH', name: 'research' } as const;
