// ESLint flat config: typescript-eslint for src/test/bench; assembly/ is AssemblyScript and is
// type-checked by asc itself, so it is left out here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-check/**',
      'build/**',
      'node_modules/**',
      'assembly/**',
      'test/fixtures/assembly/**',
      'examples/custom-kernel/assembly/**',
      'examples/custom-kernel/build/**',
      'bench/results/**',
      'demo/dist/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        WebAssembly: 'readonly',
        queueMicrotask: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        globalThis: 'readonly',
        self: 'readonly',
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        Worker: 'readonly',
        MessageChannel: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Blob: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
