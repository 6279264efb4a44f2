// Placeholder so the library builds before its first source lands; delete it then.
