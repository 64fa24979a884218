using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OidcRp.Providers.Sql;

/// <summary>
/// The <c>settings</c> column: every public data member of <see cref="OidcProviderOptions"/> as JSON, except the
/// three that have columns or cannot be stored. Built from the options type itself, so a setting added to it later
/// is stored without a change here (a unit test holds the list of excluded members).
/// </summary>
internal static class ProviderSettingsJson
{
    /// <summary>
    /// Not in the JSON: <c>Id</c> has its own columns, <c>ClientSecret</c> is protected or not stored at all, and
    /// <c>ConfigureHandler</c> is code.
    /// </summary>
    internal static readonly string[] Excluded =
        [nameof(OidcProviderOptions.Id), nameof(OidcProviderOptions.ClientSecret), nameof(OidcProviderOptions.ConfigureHandler)];

    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { Shape } },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip, // a row written by a newer version still reads
    };

    public static string Write(OidcProviderOptions provider) => JsonSerializer.Serialize(provider, Options);

    /// <summary>The options of a row; throws <see cref="JsonException"/> on text that is not a settings object.</summary>
    public static OidcProviderOptions Read(string id, string json)
    {
        var provider = JsonSerializer.Deserialize<OidcProviderOptions>(json, Options) ?? throw new JsonException("the settings are null");
        provider.Id = id;
        return provider;
    }

    private static void Shape(JsonTypeInfo info)
    {
        if (info.Type != typeof(OidcProviderOptions))
        {
            return;
        }
        // The lists (Scopes, AllowedTenants, SigningAlgorithms) are get-only: fill them in place.
        info.PreferredPropertyObjectCreationHandling = JsonObjectCreationHandling.Populate;
        foreach (var property in info.Properties.Where(p => Excluded.Contains(p.Name, StringComparer.Ordinal)).ToList())
        {
            info.Properties.Remove(property);
        }
    }
}
