import type { Server } from 'node:http';

export declare const ISOLATION_HEADERS: Record<string, string>;
export declare function startStaticServer(options: { root: string; isolated: boolean; port?: number; host?: string }): Promise<{ server: Server; url: string }>;
