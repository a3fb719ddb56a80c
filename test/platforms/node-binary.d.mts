/** The path of Node `version`'s binary (Linux x64), downloaded once. */
export function nodeBinary(version: string): string;
