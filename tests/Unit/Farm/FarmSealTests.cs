using System.Text.Json.Nodes;
using OidcRp.Farm;

namespace OidcRp.Tests.Unit.Farm;

/// <summary>What the instances of a farm exchange through Redis opens only with the farm's key and unchanged.</summary>
public sealed class FarmSealTests
{
    private static readonly FarmMac Mac = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
    private static readonly FarmMac OtherMac = new([.. Enumerable.Range(2, 32).Select(i => (byte)i)]);

    private static readonly SharedSnapshot Snapshot = new("alpha", "https://op.example/.well-known/openid-configuration", 7,
        DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), "{\"issuer\":\"https://op.example\"}", "{\"keys\":[]}", "rp1/ab12cd34");

    [Fact]
    public void A_sealed_snapshot_opens_with_the_same_key_as_it_was()
    {
        Assert.Equal(Snapshot, SharedSnapshot.Open(Snapshot.Seal(Mac), Mac));
    }

    [Fact]
    public void A_snapshot_sealed_with_another_key_does_not_open()
    {
        Assert.Null(SharedSnapshot.Open(Snapshot.Seal(OtherMac), Mac));
    }

    [Theory]
    [InlineData("p", "beta")]
    [InlineData("a", "https://evil.example/.well-known/openid-configuration")]
    [InlineData("v", 8)]
    [InlineData("t", 1_800_000_000_000)]
    [InlineData("d", "{\"issuer\":\"https://evil.example\"}")]
    [InlineData("j", "{\"keys\":[{\"kty\":\"oct\"}]}")]
    [InlineData("i", "rp2/00000000")]
    [InlineData("m", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Any_changed_field_fails_the_MAC(string field, object value)
    {
        var wire = JsonNode.Parse(Snapshot.Seal(Mac))!;
        wire[field] = JsonValue.Create(value);
        Assert.Null(SharedSnapshot.Open(wire.ToJsonString(), Mac));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"p\":\"alpha\",\"v\":1}")]
    public void Garbage_does_not_open(string payload)
    {
        Assert.Null(SharedSnapshot.Open(payload, Mac));
        Assert.Null(FarmMessage.Open(payload, Mac));
    }

    [Fact]
    public void A_message_opens_unchanged_and_a_changed_kid_fails()
    {
        var message = new FarmMessage(FarmMessage.Revoke, "alpha", "op-key-1", "rp1/ab12cd34", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var sealedMessage = message.Seal(Mac);
        Assert.Equal(message, FarmMessage.Open(sealedMessage, Mac));
        Assert.Null(FarmMessage.Open(sealedMessage.Replace("op-key-1", "op-key-2", StringComparison.Ordinal), Mac));
        Assert.Null(FarmMessage.Open(message.Seal(OtherMac), Mac));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("c2hvcnQ=", false)]
    [InlineData("not base64!", false)]
    [InlineData("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", true)]
    public void The_shared_key_must_be_base64_of_at_least_32_bytes(string? key, bool accepted)
    {
        Assert.Equal(accepted, FarmMac.FromOptions(new OidcFarmOptions { SharedKey = key }) is not null);
    }
}
