/* placeholder: implemented by the runtime-primitives work in progress */
