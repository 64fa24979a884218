using System.IO.Compression;
using System.Xml.Linq;

namespace OidcRp.Tests.Integration.Package;

/// <summary>
/// What the packed packages hold: the assembly, its XML docs, the readme, the license (expression and text), symbols in the
/// .snupkg, and exactly the expected dependencies at the repository's pinned versions (an add-on brings only its own).
/// </summary>
public sealed class PackageContentTests
{
    [Theory]
    [InlineData("OidcRp")]
    [InlineData("OidcRp.StackExchangeRedis")]
    public async Task The_package_holds_the_assembly_docs_readme_license_and_symbols(string id)
    {
        var packages = await PackedPackages.GetAsync();

        using var nupkg = ZipFile.OpenRead(packages.Nupkg(id));
        using var snupkg = ZipFile.OpenRead(packages.Snupkg(id));
        var nuspec = Nuspec(nupkg, id);
        var metadata = nuspec.Root!.Element(nuspec.Root.Name.Namespace + "metadata")!;
        XElement Meta(string name) => metadata.Element(metadata.Name.Namespace + name)!;

        Assert.Superset(new HashSet<string>([$"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml", "README.md", "LICENSE"]),
            nupkg.Entries.Select(e => e.FullName).ToHashSet());
        Assert.DoesNotContain(nupkg.Entries, e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.Contains(snupkg.Entries, e => e.FullName == $"lib/net10.0/{id}.pdb");
        Assert.Equal((id, packages.Version), ((string)Meta("id"), (string)Meta("version")));
        Assert.Equal(("expression", "Apache-2.0"), ((string?)Meta("license").Attribute("type"), (string)Meta("license")));
        Assert.Equal("README.md", (string)Meta("readme"));
        Assert.StartsWith("# " + id, await ReadAsync(nupkg, "README.md"), StringComparison.Ordinal);
        Assert.Contains("Apache License", await ReadAsync(nupkg, "LICENSE"), StringComparison.Ordinal);
        // The XML docs document the public surface (a package without them shows no IntelliSense).
        Assert.Contains("<member name=\"T:", await ReadAsync(nupkg, $"lib/net10.0/{id}.xml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_package_depends_on_exactly_its_own_dependencies()
    {
        var packages = await PackedPackages.GetAsync();
        var central = PackedPackages.CentralVersions();

        Assert.Equal(
            [
                ("Microsoft.AspNetCore.Authentication.OpenIdConnect", central["Microsoft.AspNetCore.Authentication.OpenIdConnect"]),
                ("Microsoft.IdentityModel.Protocols.OpenIdConnect", central["Microsoft.IdentityModel.Protocols.OpenIdConnect"]),
            ],
            Dependencies(packages, "OidcRp"));
        Assert.Equal(
            [("OidcRp", packages.Version), ("StackExchange.Redis", central["StackExchange.Redis"])],
            Dependencies(packages, "OidcRp.StackExchangeRedis"));
        foreach (var id in PackedPackages.Ids)
        {
            using var nupkg = ZipFile.OpenRead(packages.Nupkg(id));
            var root = Nuspec(nupkg, id).Root!;
            Assert.Equal(["Microsoft.AspNetCore.App"],
                root.Descendants(root.Name.Namespace + "frameworkReference").Select(f => (string)f.Attribute("name")!));
            Assert.Equal(["net10.0"], root.Descendants(root.Name.Namespace + "group")
                .Where(g => g.Parent!.Name.LocalName == "dependencies").Select(g => (string)g.Attribute("targetFramework")!));
        }
    }

    private static List<(string Id, string Version)> Dependencies(PackedPackages packages, string id)
    {
        using var nupkg = ZipFile.OpenRead(packages.Nupkg(id));
        var root = Nuspec(nupkg, id).Root!;
        return root.Descendants(root.Name.Namespace + "dependency")
            .Select(d => ((string)d.Attribute("id")!, (string)d.Attribute("version")!))
            .OrderBy(d => d.Item1, StringComparer.Ordinal).ToList();
    }

    private static XDocument Nuspec(ZipArchive package, string id)
    {
        using var stream = package.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(stream);
    }

    private static async Task<string> ReadAsync(ZipArchive package, string entry)
    {
        using var reader = new StreamReader(package.GetEntry(entry)!.Open());
        return await reader.ReadToEndAsync();
    }
}
