/** A policy request that cannot be honoured: bad input, an unknown project or rule. The admin API maps `kind`. */
export class PolicyError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not_found' | 'project_not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
