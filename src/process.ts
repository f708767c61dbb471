/** The two ways a crew runs its tasks. */
export const Process = { sequential: 'sequential', hierarchical: 'hierarchical' } as const;
export type Process = (typeof Process)[keyof typeof Process];
