using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Samples.DevOp;

/// <summary>How the development OP changes its signing key at run time.</summary>
public enum DevOpRotation
{
    /// <summary>A new key signs; the old one stays published (Keycloak's "passive").</summary>
    KeepOld,

    /// <summary>A new key signs; the old one leaves the JWKS at once.</summary>
    DropOld,

    /// <summary>The next key is published but does not sign yet.</summary>
    Stage,

    /// <summary>The staged key starts signing.</summary>
    Promote,

    /// <summary>A new key signs that the JWKS never shows (what a forged token looks like to an RP).</summary>
    Unpublished,

    /// <summary>The key that signed before the last rotation signs again.</summary>
    Revert,
}

/// <summary>The OP's keys after a change: the kid that signs and the kids its JWKS publishes.</summary>
public sealed record DevOpKeyState(string SigningKid, IReadOnlyList<string> PublishedKids);

/// <summary>
/// The signing keys of one issuer. OpenIddict signs its own authorization codes with the same keys it
/// signs ID tokens with, so a key never leaves the signing credentials once it has signed: "dropping"
/// it only takes it out of the published JWKS. Codes issued before a rotation still redeem.
/// </summary>
public sealed class DevOpKeys
{
    private readonly Lock _lock = new();
    private readonly string _prefix;
    private readonly Stack<RsaSecurityKey> _history = new();
    private List<RsaSecurityKey> _all; // signing order: the first signs
    private HashSet<string> _published;
    private RsaSecurityKey? _staged;
    private int _serial;

    public DevOpKeys(string issuerName)
    {
        _prefix = issuerName;
        var first = NewKey();
        _all = [first];
        _published = [first.KeyId];
    }

    /// <summary>Raised after every change, so the OP rebuilds its options with the new order.</summary>
    public event Action? Changed;

    /// <summary>Every key the OP holds, the signing one first.</summary>
    public IReadOnlyList<RsaSecurityKey> SigningOrder
    {
        get
        {
            lock (_lock)
            {
                return [.. _all];
            }
        }
    }

    public bool IsPublished(string? kid)
    {
        lock (_lock)
        {
            return kid is not null && _published.Contains(kid);
        }
    }

    public DevOpKeyState State
    {
        get
        {
            lock (_lock)
            {
                return new DevOpKeyState(_all[0].KeyId, _all.Where(k => _published.Contains(k.KeyId)).Select(k => k.KeyId).ToList());
            }
        }
    }

    public DevOpKeyState Rotate(DevOpRotation mode)
    {
        lock (_lock)
        {
            var current = _all[0];
            switch (mode)
            {
                case DevOpRotation.KeepOld:
                    SignWith(NewKey(), publish: true, remember: current);
                    break;
                case DevOpRotation.DropOld:
                    SignWith(NewKey(), publish: true, remember: current);
                    _published = [_all[0].KeyId];
                    break;
                case DevOpRotation.Stage:
                    _staged = NewKey();
                    _all = [.. _all, _staged];
                    _published.Add(_staged.KeyId);
                    break;
                case DevOpRotation.Promote:
                    var staged = _staged ?? throw new InvalidOperationException("No key is staged: stage one first.");
                    _staged = null;
                    SignWith(staged, publish: true, remember: current);
                    break;
                case DevOpRotation.Unpublished:
                    SignWith(NewKey(), publish: false, remember: current);
                    break;
                case DevOpRotation.Revert:
                    var back = _history.Count > 0 ? _history.Pop() : throw new InvalidOperationException("Nothing to revert to.");
                    SignWith(back, publish: _published.Contains(back.KeyId), remember: null);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
            }
        }
        Changed?.Invoke();
        return State;
    }

    private void SignWith(RsaSecurityKey key, bool publish, RsaSecurityKey? remember)
    {
        if (remember is not null)
        {
            _history.Push(remember);
        }
        _all = [key, .. _all.Where(k => k.KeyId != key.KeyId)];
        if (publish)
        {
            _published.Add(key.KeyId);
        }
    }

    private RsaSecurityKey NewKey() =>
        new(RSA.Create(2048)) { KeyId = $"{_prefix}-{++_serial}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}" };
}
