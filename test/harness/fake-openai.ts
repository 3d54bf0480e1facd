/** The stand-in OpenAI server lives in src/stand-ins (the playground uses it too); tests keep importing it from here. */
export * from '../../src/stand-ins/openai.js';
