namespace LoraNotebooks.Engine;

/// <summary>
/// Something the user gave (a command-line value, a script setting, a path, a file) cannot be used;
/// the message says where and why, in one line. Raised at validation points so that a front end can
/// tell the user's mistakes (exit code 1, a plain message) from the program's own bugs (exit code 2),
/// which may be any other exception, <see cref="ArgumentException"/> included.
/// </summary>
public sealed class UserErrorException(string message) : Exception(message);
