namespace OidcRp.Samples.DevOp;

/// <summary>A test user of the development OP. The subject is the user name, at every issuer.</summary>
public sealed record DevOpUser(string Username, string Password, string Name, string Email, IReadOnlyList<string> Roles);

/// <summary>The development OP's test users (the same at every issuer).</summary>
public static class DevOpUsers
{
    public static IReadOnlyList<DevOpUser> All { get; } =
    [
        new("alice", "alice-password", "Alice Tester", "alice@example.test", []),
        new("bob", "bob-password", "Bob Tester", "bob@example.test", []),
        new("admin", "admin-password", "Admin Tester", "admin@example.test", ["admin"]),
    ];

    public static DevOpUser? Find(string? username, string? password) =>
        All.FirstOrDefault(u => u.Username == username && password is not null
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(u.Password), System.Text.Encoding.UTF8.GetBytes(password)));

    public static DevOpUser? Get(string? username) => All.FirstOrDefault(u => u.Username == username);
}
